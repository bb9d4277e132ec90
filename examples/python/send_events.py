#!/usr/bin/env python3
"""Send prediction events and delayed labels to Hindsight's HTTP gateway.

Standard library only (Python 3.9+). Copy the ``HindsightClient`` class into your
model server, or run this file to push a toy fraud model's traffic at a gateway:

    python3 send_events.py --url http://127.0.0.1:8080 --token TOKEN \
        --count 100 --model-id fraud [--seed 7] [--bad 1]

The script prints one JSON line to stdout when it is done:

    {"predictions_accepted": 100, "labels_accepted": 100, "rejected": [...]}

Everything else (progress, retries, warnings) goes to stderr.
"""

import argparse
import datetime as dt
import http.client
import json
import logging
import math
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

log = logging.getLogger("hindsight")

# The gateway refuses batches above this many items by default (413).
MAX_BATCH_ITEMS = 5000

Timestamp = Union[str, int, dt.datetime, None]


# --------------------------------------------------------------------------- errors


class HindsightError(Exception):
    """Base class for everything this client raises."""


class HindsightAuthError(HindsightError):
    """401 (missing or bad token) or 403 (token lacks the scope). Retrying will not help."""


class HindsightRequestError(HindsightError):
    """Any other 4xx: the request itself is wrong. Retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class HindsightUnavailable(HindsightError):
    """The gateway could not be reached, or kept answering 5xx/429, after all retries."""


# --------------------------------------------------------------------------- results


class SendResult:
    """What the gateway said about one ``send_*`` call (possibly several HTTP batches).

    ``rejected`` holds the gateway's rejection objects, e.g.
    ``{"index": 3, "path": "prediction.score", "message": "..."}``, with ``index``
    rewritten to point into the list you passed to ``send_*`` (not into the HTTP batch).
    """

    def __init__(self) -> None:
        self.accepted = 0
        self.rejected: List[Dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"SendResult(accepted={self.accepted}, rejected={len(self.rejected)})"


# --------------------------------------------------------------------------- event builders


def _timestamp(value: Timestamp) -> Union[str, int]:
    """ISO-8601 string with a zone, or epoch milliseconds (int). ``None`` means now."""
    if value is None:
        value = dt.datetime.now(dt.timezone.utc)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)  # naive datetimes are taken as UTC
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError("timestamp must be a datetime, an ISO-8601 string or epoch milliseconds (int)")
    return value


def _clean_features(features: Mapping[str, Any]) -> Dict[str, Any]:
    """NaN/inf are not valid JSON; send them as null (a missing value)."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in features.items()
    }


def prediction_event(
    *,
    model_id: str,
    model_version: str,
    features: Mapping[str, Any],
    prediction: Mapping[str, Any],
    prediction_id: Optional[str] = None,
    segments: Optional[Mapping[str, str]] = None,
    stage: str = "production",
    timestamp: Timestamp = None,
) -> Dict[str, Any]:
    """Build one prediction event.

    ``prediction`` is ``{"label": ..., "score": ...}`` for a binary classifier,
    ``{"label": ..., "scores": {class: prob}}`` for multiclass, ``{"value": ...}`` for regression.
    """
    return {
        "prediction_id": prediction_id or str(uuid.uuid4()),
        "model_id": model_id,
        "model_version": model_version,
        "stage": stage,
        "timestamp": _timestamp(timestamp),
        "features": _clean_features(features),
        "prediction": dict(prediction),
        "segments": dict(segments or {}),
    }


def label_event(
    *,
    prediction_id: str,
    model_id: str,
    label: Any = None,
    value: Optional[float] = None,
    labeled_at: Timestamp = None,
    source: str = "unspecified",
) -> Dict[str, Any]:
    """Build one label event: pass ``label`` (classification) or ``value`` (regression)."""
    if (label is None) == (value is None):
        raise ValueError("give exactly one of label= or value=")
    event: Dict[str, Any] = {
        "prediction_id": prediction_id,
        "model_id": model_id,
        "labeled_at": _timestamp(labeled_at),
        "source": source,
    }
    if label is not None:
        event["label"] = label
    else:
        event["value"] = value
    return event


def _json_default(obj: Any) -> Any:
    """Let numpy scalars/arrays and datetimes through json.dumps without importing numpy."""
    if isinstance(obj, dt.datetime):
        return _timestamp(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# --------------------------------------------------------------------------- client


class HindsightClient:
    """Minimal client for Hindsight's HTTP gateway.

    Two ways to use it:

    * ``send_predictions(events)`` / ``send_labels(events)``: send a list now (split into
      batches of ``batch_size``) and get a :class:`SendResult` back. Raises on failure.
    * ``record_prediction(...)`` / ``record_label(...)`` plus ``flush()``: buffer events and
      send them a batch at a time. Thread-safe. Use as a context manager, or call
      ``flush()`` on shutdown, so the tail of the buffer is not lost.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        batch_size: int = 500,
        timeout: float = 10.0,
        max_retries: int = 4,
        backoff: float = 0.25,
        max_backoff: float = 10.0,
        max_buffered: int = 50_000,
        on_rejected: Optional[Callable[[str, Dict[str, Any], Dict[str, Any]], None]] = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_ITEMS:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_ITEMS}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_buffered = max_buffered
        # Called as on_rejected(kind, rejection, event) for every item the gateway refused
        # while flushing the buffer; kind is "prediction" or "label". Default: log a warning.
        self.on_rejected = on_rejected or self._log_rejection

        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._predictions: List[Dict[str, Any]] = []
        self._labels: List[Dict[str, Any]] = []
        self._retry_auto_flush_at = 0.0
        self._jitter = random.Random()

    # ---- send a list right away

    def send_predictions(self, events: Sequence[Mapping[str, Any]]) -> SendResult:
        return self._send("/v1/predictions", events)

    def send_labels(self, events: Sequence[Mapping[str, Any]]) -> SendResult:
        return self._send("/v1/labels", events)

    def _send(self, path: str, events: Sequence[Mapping[str, Any]]) -> SendResult:
        result = SendResult()
        for start in range(0, len(events), self.batch_size):
            self._send_batch(path, list(events[start:start + self.batch_size]), start, result)
        return result

    def _send_batch(self, path: str, batch: List[Mapping[str, Any]], offset: int, result: SendResult) -> None:
        status, body = self._post(path, batch)
        if status == 413 and len(batch) > 1:
            # Body or batch too large for this gateway: halve it and try again.
            half = len(batch) // 2
            log.info("413 for %d items, splitting the batch", len(batch))
            self._send_batch(path, batch[:half], offset, result)
            self._send_batch(path, batch[half:], offset + half, result)
            return
        if status in (401, 403):
            raise HindsightAuthError(f"HTTP {status}: {_error_message(body)}")
        if status >= 400:
            raise HindsightRequestError(status, _error_message(body))
        result.accepted += int(body.get("accepted", 0)) if isinstance(body, dict) else 0
        for rejection in (body.get("rejected") or []) if isinstance(body, dict) else []:
            rejection = dict(rejection)
            if isinstance(rejection.get("index"), int):
                rejection["index"] += offset
            result.rejected.append(rejection)

    def _post(self, path: str, batch: List[Mapping[str, Any]]):
        """POST one JSON array; retry connection errors, 5xx and 429 with exponential backoff.

        Returns (status, parsed JSON body or None) for any answer that should not be retried.
        """
        data = json.dumps(batch, default=_json_default, separators=(",", ":")).encode("utf-8")
        url = self.base_url + path
        attempt = 0
        while True:
            request = urllib.request.Request(
                url,
                data=data,
                method="POST",
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "User-Agent": "hindsight-python-example/1.0",
                },
            )
            retry_after: Optional[float] = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, _parse_json(response.read())
            except urllib.error.HTTPError as err:  # an answer with a 4xx/5xx status
                body = _parse_json(err.read())
                if err.code != 429 and err.code < 500:
                    return err.code, body
                problem = f"HTTP {err.code}: {_error_message(body)}"
                retry_after = _retry_after_seconds(err.headers.get("Retry-After"))
            except (OSError, http.client.HTTPException) as err:
                # Refused, reset, DNS failure, timeout, connection closed mid-answer...
                problem = str(getattr(err, "reason", None) or err) or type(err).__name__

            if attempt >= self.max_retries:
                raise HindsightUnavailable(f"POST {url} failed after {attempt + 1} attempts: {problem}")
            delay = min(self.max_backoff, self.backoff * (2 ** attempt))
            delay *= 0.5 + self._jitter.random() / 2  # jitter so many servers don't retry in lockstep
            if retry_after is not None:
                delay = min(max(delay, retry_after), self.max_backoff)
            attempt += 1
            log.warning("POST %s: %s; retry %d/%d in %.2fs", path, problem, attempt, self.max_retries, delay)
            time.sleep(delay)

    # ---- buffered: record now, send in batches

    def record_prediction(self, **kwargs: Any) -> str:
        """Buffer one prediction (arguments as :func:`prediction_event`). Returns its prediction_id,
        which you need later to send the label."""
        event = prediction_event(**kwargs)
        self.enqueue_prediction(event)
        return event["prediction_id"]

    def record_label(self, **kwargs: Any) -> None:
        """Buffer one label (arguments as :func:`label_event`)."""
        self.enqueue_label(label_event(**kwargs))

    def enqueue_prediction(self, event: Mapping[str, Any]) -> None:
        """Buffer a prediction event you built yourself."""
        self._enqueue(self._predictions, event)

    def enqueue_label(self, event: Mapping[str, Any]) -> None:
        """Buffer a label event you built yourself."""
        self._enqueue(self._labels, event)

    def _enqueue(self, buffer: List[Dict[str, Any]], event: Mapping[str, Any]) -> None:
        with self._lock:
            buffer.append(dict(event))
            if len(buffer) > self.max_buffered:  # gateway down for a long time: drop the oldest
                del buffer[: len(buffer) - self.max_buffered]
                log.warning("buffer full (%d events), dropped the oldest", self.max_buffered)
            full = len(buffer) >= self.batch_size and time.monotonic() >= self._retry_auto_flush_at
        if full:
            # Sends from the caller's thread. In a busy server, call flush() from a
            # background thread or timer instead and raise batch_size.
            try:
                self.flush()
            except HindsightError as err:
                # Don't break the model server's request path; the events stay buffered.
                log.error("automatic flush failed: %s", err)
                self._retry_auto_flush_at = time.monotonic() + self.max_backoff

    def flush(self) -> Dict[str, SendResult]:
        """Send everything buffered: predictions first, then labels.

        Returns ``{"predictions": SendResult, "labels": SendResult}``. If the gateway stays
        unreachable (or refuses the token), the unsent events are put back in the buffer and
        the error is raised; call ``flush()`` again later. A batch the gateway refuses as a
        whole (400) is dropped and :class:`HindsightRequestError` raised.
        """
        with self._flush_lock:  # one flush at a time keeps predictions ahead of their labels
            results = {}
            for kind, path, buffer in (
                ("prediction", "/v1/predictions", self._predictions),
                ("label", "/v1/labels", self._labels),
            ):
                result = SendResult()
                results[kind + "s"] = result
                while True:
                    with self._lock:
                        batch = buffer[: self.batch_size]
                        del buffer[: self.batch_size]
                    if not batch:
                        break
                    one = SendResult()
                    try:
                        self._send_batch(path, batch, 0, one)
                    except (HindsightUnavailable, HindsightAuthError):
                        with self._lock:
                            buffer[:0] = batch  # keep them for the next flush
                        raise
                    result.accepted += one.accepted
                    result.rejected.extend(one.rejected)
                    for rejection in one.rejected:
                        index = rejection.get("index")
                        event = batch[index] if isinstance(index, int) and 0 <= index < len(batch) else {}
                        self.on_rejected(kind, rejection, event)
            return results

    def __enter__(self) -> "HindsightClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.flush()

    @staticmethod
    def _log_rejection(kind: str, rejection: Dict[str, Any], event: Dict[str, Any]) -> None:
        log.warning(
            "%s %s rejected: %s %s",
            kind,
            event.get("prediction_id", "?"),
            rejection.get("path", ""),
            rejection.get("message", ""),
        )


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")[:500]


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return str(body or "no details")


def _retry_after_seconds(value: Optional[str]) -> Optional[float]:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date; fall back to our own backoff


# --------------------------------------------------------------------------- demo CLI

COUNTRIES = ["DE", "FR", "US", "GB", "BR", "IN"]
DEVICES = ["ios", "android", "web"]


def toy_fraud_prediction(rng: random.Random, model_id: str, prediction_id: str) -> Dict[str, Any]:
    """One call of a made-up fraud model."""
    amount = round(rng.lognormvariate(3.5, 1.2), 2)
    country = rng.choice(COUNTRIES)
    device = rng.choice(DEVICES)
    age = rng.randint(18, 90) if rng.random() > 0.1 else None  # sometimes missing
    logit = -3.0 + 0.004 * amount + (1.2 if country == "BR" else 0.0) + (0.5 if device == "web" else 0.0)
    score = round(1.0 / (1.0 + math.exp(-(logit + rng.gauss(0, 0.8)))), 4)
    return prediction_event(
        prediction_id=prediction_id,
        model_id=model_id,
        model_version="v3",
        features={"amount": amount, "country": country, "age": age, "new_account": rng.random() < 0.2},
        prediction={"label": "fraud" if score >= 0.5 else "legit", "score": score},
        segments={"country": country, "device": device},
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Send a toy fraud model's predictions and labels to Hindsight.")
    parser.add_argument("--url", required=True, help="gateway base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", required=True, help="API token with ingest scope")
    parser.add_argument("--count", type=int, required=True, help="number of predictions (and labels) to send")
    parser.add_argument("--model-id", required=True, help="model_id to report under")
    parser.add_argument("--seed", type=int, default=None, help="random seed; also part of the prediction ids")
    parser.add_argument("--bad", type=int, default=0, help="append this many malformed predictions")
    parser.add_argument("--batch-size", type=int, default=500, help="items per HTTP request (max 5000)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request")
    parser.add_argument("--retries", type=int, default=4, help="retries on connection errors, 5xx and 429")
    args = parser.parse_args(argv)
    if args.count < 0 or args.bad < 0:
        parser.error("--count and --bad must not be negative")

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)

    predictions = [
        toy_fraud_prediction(rng, args.model_id, f"py-{args.model_id}-{seed}-{i}") for i in range(args.count)
    ]
    for j in range(args.bad):
        bad = toy_fraud_prediction(rng, args.model_id, f"py-{args.model_id}-{seed}-bad-{j}")
        bad["prediction"]["score"] = "high"  # not a number: the gateway rejects this item only
        predictions.append(bad)

    # Ground truth arrives later (chargebacks); fraud is likelier when the score was high.
    labels = [
        label_event(
            prediction_id=p["prediction_id"],
            model_id=args.model_id,
            label="fraud" if rng.random() < p["prediction"]["score"] else "legit",
            source="chargebacks",
        )
        for p in predictions[: args.count]
    ]

    client = HindsightClient(
        args.url, args.token, batch_size=args.batch_size, timeout=args.timeout, max_retries=args.retries
    )
    out: Dict[str, Any] = {"predictions_accepted": 0, "labels_accepted": 0, "rejected": []}
    try:
        log.info("sending %d predictions (%d malformed) for model %s, seed %d", len(predictions), args.bad, args.model_id, seed)
        sent = client.send_predictions(predictions)
        out["predictions_accepted"] = sent.accepted
        out["rejected"].extend(sent.rejected)
        for r in sent.rejected:
            log.warning("prediction #%s rejected: %s %s", r.get("index"), r.get("path", ""), r.get("message", ""))

        log.info("sending %d labels", len(labels))
        sent = client.send_labels(labels)
        out["labels_accepted"] = sent.accepted
        out["rejected"].extend(sent.rejected)
        for r in sent.rejected:
            log.warning("label #%s rejected: %s %s", r.get("index"), r.get("path", ""), r.get("message", ""))
    except HindsightError as err:
        print(f"error: {err}", file=sys.stderr)
        out["error"] = str(err)
        print(json.dumps(out))
        return 1

    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
