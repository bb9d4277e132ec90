"""Fixtures. Tests marked ``gateway`` need a running Hindsight: HINDSIGHT_URL and HINDSIGHT_TOKEN
(a token with the ingest, label and read scopes). The repository's test run starts the real
pipeline (gateway, Kafka, processor, ClickHouse) and sets both; without them those tests skip."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Callable, Dict, Iterator, List

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gateway: needs a running Hindsight gateway (HINDSIGHT_URL, HINDSIGHT_TOKEN)")


@pytest.fixture(scope="session")
def gateway() -> Dict[str, str]:
    url, token = os.environ.get("HINDSIGHT_URL"), os.environ.get("HINDSIGHT_TOKEN")
    if not url or not token:
        pytest.skip("HINDSIGHT_URL and HINDSIGHT_TOKEN are not set")
    return {"url": url, "token": token}


@pytest.fixture
def model_id() -> str:
    """A model id of this test alone."""
    return f"py-{uuid.uuid4().hex[:12]}"


def get_json(gateway: Dict[str, str], path: str, **query: Any) -> Any:
    url = gateway["url"].rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {gateway['token']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_until(what: str, probe: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if done(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


@pytest.fixture
def stored_counts(gateway: Dict[str, str]) -> Callable[[str], Dict[str, int]]:
    """Predictions and labelled predictions the pipeline stored for a model (its daily windows,
    read back through the gateway's metrics API after Kafka, the processor and ClickHouse)."""

    def counts(model: str) -> Dict[str, int]:
        try:
            windows: List[Dict[str, Any]] = get_json(gateway, f"/v1/models/{model}/metrics", window=86400)["windows"]
        except urllib.error.HTTPError as err:
            if err.code == 404:  # the model is known once its first events are stored
                return {"predictions": 0, "labeled": 0}
            raise
        return {"predictions": sum(int(w["predictions"]) for w in windows), "labeled": sum(int(w["labeled"]) for w in windows)}

    return counts


@pytest.fixture
def wait_for_counts(stored_counts: Callable[[str], Dict[str, int]]) -> Iterator[Callable[[str, int, int], None]]:
    def wait(model: str, predictions: int, labeled: int) -> None:
        wait_until(f"{predictions} predictions and {labeled} labels of {model} in ClickHouse", lambda: stored_counts(model),
                   lambda c: c == {"predictions": predictions, "labeled": labeled})

    yield wait
