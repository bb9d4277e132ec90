"""Retry behaviour against a local HTTP server that answers what the gateway answers under load:
429 with Retry-After (its rate limit) and 503 with Retry-After (Kafka unavailable). The real gateway
cannot be made to do this quickly on demand, so these answers are scripted; everything else is
tested against the real pipeline in test_gateway.py."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List, Tuple

import pytest

from hindsight_client import HindsightClient, HindsightUnavailable
from hindsight_client.transport import RetryPolicy, backoff_delay, retry_after_seconds


class Scripted:
    """Answers requests from a script of (status, headers, body); the last one repeats."""

    def __init__(self, script: List[Tuple[int, dict, dict]]) -> None:
        self.script = script
        self.requests: List[Tuple[float, list]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((time.monotonic(), body))
                status, headers, answer = outer.script[min(len(outer.requests) - 1, len(outer.script) - 1)]
                data = json.dumps(answer).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def scripted() -> Iterator[type]:
    servers: List[Scripted] = []

    def make(script: List[Tuple[int, dict, dict]]) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield make  # type: ignore[misc]
    for s in servers:
        s.server.shutdown()


EVENT = {"prediction_id": "p1", "model_id": "m", "model_version": "v1", "timestamp": 1795428000000, "prediction": {"score": 0.5}}


@pytest.mark.parametrize("status", [429, 503])
def test_waits_as_long_as_retry_after_says_then_succeeds(scripted, status: int) -> None:
    server = scripted([(status, {"Retry-After": "1"}, {"error": {"code": "x", "message": "later"}}), (202, {}, {"accepted": 1, "rejected": []})])
    client = HindsightClient(server.url, "token-0000000000000000", backoff=0.01, background=False)
    result = client.send_predictions([EVENT])
    assert result.accepted == 1
    (t0, first), (t1, second) = server.requests
    assert first == second == [EVENT]
    assert t1 - t0 >= 0.95  # backoff alone would have waited 10 ms


def test_gives_up_after_max_retries_and_keeps_buffered_events(scripted) -> None:
    server = scripted([(503, {}, {"error": {"code": "unavailable", "message": "Kafka is unavailable"}})])
    client = HindsightClient(server.url, "token-0000000000000000", max_retries=2, backoff=0.01, background=False)
    client.log_predictions([EVENT, {**EVENT, "prediction_id": "p2"}])
    with pytest.raises(HindsightUnavailable, match="3 attempt"):
        client.flush()
    assert len(server.requests) == 3
    assert client.stats()["buffered"] == 2
    server.script = [(202, {}, {"accepted": 2, "rejected": []})]
    assert client.flush().accepted == 2 and client.stats()["buffered"] == 0
    assert [e["prediction_id"] for e in server.requests[-1][1]] == ["p1", "p2"]


def test_the_background_thread_retries_later_without_losing_events(scripted) -> None:
    server = scripted([(503, {"Retry-After": "0"}, {}), (503, {}, {}), (202, {}, {"accepted": 1, "rejected": []})])
    errors: List[Exception] = []
    client = HindsightClient(server.url, "token-0000000000000000", max_retries=0, flush_interval=0.05, on_error=errors.append)
    client.log_predictions([EVENT])
    deadline = time.monotonic() + 10
    while client.stats()["accepted"] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    client.close()
    assert client.stats()["accepted"] == 1 and len(errors) == 2 and client.stats()["last_error"] is None


def test_retry_after_forms_and_backoff_bounds() -> None:
    import random

    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    policy = RetryPolicy(max_retries=10, backoff=0.5, max_backoff=8.0, max_retry_after=60.0)
    rng = random.Random(1)
    delays = [backoff_delay(a, policy, None, rng) for a in range(10)]
    assert all(0.25 <= d <= 8.0 for d in delays) and max(delays) > 4.0
    assert backoff_delay(0, policy, 30.0, rng) == 30.0
    assert backoff_delay(0, policy, 600.0, rng) == 60.0
