"""One POST of a JSON body, retried with capped exponential backoff and jitter on connection
errors, 429 and 5xx, waiting at least what ``Retry-After`` asks."""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .errors import HindsightUnavailable

log = logging.getLogger("hindsight_client")

#: Answers worth sending the same request again for. 500 is left out: the gateway answers it for
#: its own bugs, which a retry would only repeat.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


@dataclass
class RetryPolicy:
    max_retries: int = 5
    backoff: float = 0.25
    max_backoff: float = 30.0
    #: The longest ``Retry-After`` honoured; a longer one is cut to this (and counts as one retry).
    max_retry_after: float = 120.0


def retry_after_seconds(header: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if header is None or header.strip() == "":
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, policy: RetryPolicy, retry_after: Optional[float], rng: random.Random) -> float:
    """Delay before retry number ``attempt + 1``: exponential with jitter (so that many servers do not
    retry in lockstep), never shorter than the server's ``Retry-After``."""
    delay = min(policy.max_backoff, policy.backoff * (2 ** attempt)) * (0.5 + rng.random() / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after))
    return delay


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")[:500]


def error_message(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
        return str(body.get("message") or error or body)
    return str(body or "no details")


class Transport:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float,
        policy: RetryPolicy,
        user_agent: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.policy = policy
        self.user_agent = user_agent
        self.sleep = sleep
        self._rng = random.Random()
        #: Set to stop waiting between retries (the client is closing).
        self.interrupted: Callable[[], bool] = lambda: False

    def post(self, path: str, body: bytes) -> Answer:
        """The first answer that should not be retried. Raises :class:`HindsightUnavailable` when
        every attempt failed."""
        url = self.base_url + path
        attempt = 0
        while True:
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "User-Agent": self.user_agent,
                },
            )
            retry_after: Optional[float] = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return Answer(response.status, parse_json(response.read()))
            except urllib.error.HTTPError as err:
                answer = Answer(err.code, parse_json(err.read()))
                if err.code not in RETRY_STATUSES:
                    return answer
                problem = f"HTTP {err.code}: {error_message(answer.body)}"
                retry_after = retry_after_seconds(err.headers.get("Retry-After"))
            except (OSError, http.client.HTTPException) as err:
                # Refused, reset, timed out, closed mid-answer. A request that timed out may still have
                # been accepted: resending is safe, the gateway's duplicates collapse by prediction_id.
                problem = str(getattr(err, "reason", None) or err) or type(err).__name__
            if attempt >= self.policy.max_retries or self.interrupted():
                raise HindsightUnavailable(f"POST {url} failed after {attempt + 1} attempt(s): {problem}")
            delay = backoff_delay(attempt, self.policy, retry_after, self._rng)
            attempt += 1
            log.warning("POST %s: %s; retry %d/%d in %.2f s", path, problem, attempt, self.policy.max_retries, delay)
            self.sleep(delay)
