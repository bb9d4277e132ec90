"""The client against the real pipeline: events go through the gateway, Kafka and the processor into
ClickHouse, and are read back through the gateway's metrics API."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from typing import Any, Callable, Dict, List

import pytest

from hindsight_client import (
    HindsightAuthError,
    HindsightClient,
    HindsightUnavailable,
    Rejection,
    labels_from_dataframe,
    prediction_event,
    predictions_from_dataframe,
)

pytestmark = pytest.mark.gateway

DAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)


def event(model: str, i: int, **changes: Any) -> Dict[str, Any]:
    e = prediction_event(model_id=model, model_version="v1", prediction_id=f"p-{i}", timestamp=DAY + dt.timedelta(seconds=i),
                         features={"amount": 10.0 + i % 7, "country": ["DE", "FR"][i % 2]},
                         prediction={"label": "fraud" if i % 3 == 0 else "legit", "score": (i % 10) / 10}, segments={"country": ["DE", "FR"][i % 2]})
    e.update(changes)
    return e


def test_logged_events_reach_clickhouse_through_the_background_thread(gateway, model_id, wait_for_counts) -> None:
    rejected: List[Rejection] = []
    with HindsightClient(gateway["url"], gateway["token"], flush_interval=0.2, on_rejected=rejected.append) as client:
        ids = [client.log_prediction(model_id=model_id, model_version="v1", timestamp=DAY, features={"amount": i, "country": "DE"},
                                     prediction={"label": "fraud", "score": 0.9}) for i in range(40)]
        # The background thread sends these without a flush() call.
        wait_for_counts(model_id, 40, 0)
        for pid in ids[:25]:
            client.log_label(prediction_id=pid, model_id=model_id, label="fraud", source="pytest")
    # Leaving the block flushed the labels.
    wait_for_counts(model_id, 40, 25)
    assert rejected == []
    assert client.stats()["accepted"] == 65


def test_per_item_rejections_name_the_event_and_the_field(gateway, model_id, wait_for_counts) -> None:
    client = HindsightClient(gateway["url"], gateway["token"], background=False)
    events = [event(model_id, i) for i in range(10)]
    events[3]["prediction"]["score"] = 1.7
    events[7]["model_id"] = "not a valid id!"
    events.insert(5, {**event(model_id, 99), "features": {"x": float("nan")}})  # not JSON: refused before sending
    result = client.send_predictions(events)
    assert result.accepted == 8
    assert [(r.index, r.path) for r in result.rejected] == [(3, "prediction.score"), (5, ""), (8, "model_id")]
    assert "probability" in result.rejected[0].message and result.rejected[0].prediction_id == "p-3"

    # Buffered events: rejections reach the callback and take_rejections().
    seen: List[Rejection] = []
    buffered = HindsightClient(gateway["url"], gateway["token"], background=False, on_rejected=seen.append)
    buffered.log_labels([{"prediction_id": "p-0", "model_id": model_id, "label": "fraud"}, {"prediction_id": "p-1", "model_id": model_id}])
    flushed = buffered.flush()
    assert flushed.accepted == 1 and [(r.kind, r.index, r.prediction_id) for r in seen] == [("label", 1, "p-1")]
    assert buffered.take_rejections() == seen and buffered.take_rejections() == []
    wait_for_counts(model_id, 8, 1)


def test_batches_are_split_by_bytes_and_by_the_gateways_item_limit(gateway, model_id, wait_for_counts) -> None:
    small = HindsightClient(gateway["url"], gateway["token"], background=False, max_body_bytes=16 * 1024)
    result = small.send_predictions([event(model_id, i) for i in range(300)])
    assert result.accepted == 300 and result.ok
    assert small.stats()["requests"] >= 300 * 300 // (16 * 1024)  # each event takes about 300 bytes

    # A client told the gateway takes more items than it does (5000 by default): the 413 is split.
    eager = HindsightClient(gateway["url"], gateway["token"], background=False, max_batch_items=8000)
    result = eager.send_predictions([event(model_id, i) for i in range(300, 5301)])
    assert result.accepted == 5001 and result.ok
    assert eager.stats()["requests"] == 3
    wait_for_counts(model_id, 5301, 0)


def test_an_event_over_the_kafka_produce_limit_is_set_aside_and_the_rest_sent(gateway, model_id, wait_for_counts) -> None:
    # 300 strings of 4,000 characters: valid, but about 1.2 MB encoded, over the gateway's 900,000
    # bytes per Kafka produce; the gateway sends nothing of the batch and names that event.
    huge = event(model_id, 1, features={f"f{k}": "x" * 4000 for k in range(300)})
    client = HindsightClient(gateway["url"], gateway["token"], background=False)
    result = client.send_predictions([event(model_id, 0), huge, event(model_id, 2)])
    assert result.accepted == 2
    assert [r.index for r in result.rejected] == [1] and "bytes" in result.rejected[0].message
    wait_for_counts(model_id, 2, 0)


def test_a_wrong_token_raises_and_keeps_the_events(gateway, model_id) -> None:
    client = HindsightClient(gateway["url"], "wrong-token-0000000000", background=False)
    with pytest.raises(HindsightAuthError) as err:
        client.send_predictions([event(model_id, 0)])
    assert err.value.status == 401
    client.log_predictions([event(model_id, 0)])
    with pytest.raises(HindsightAuthError):
        client.flush()
    assert client.stats()["buffered"] == 1
    with pytest.raises(HindsightAuthError):
        client.close()  # the last flush fails too, and says so


def test_an_unreachable_gateway_raises_after_the_retries(model_id, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HindsightClient(f"http://127.0.0.1:{port}", "token-0000000000000000", background=False, max_retries=2, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="hindsight_client"), pytest.raises(HindsightUnavailable) as err:
        client.send_predictions([event(model_id, 0)])
    assert "3 attempt" in str(err.value) and len([r for r in caplog.records if "retry" in r.message]) == 2
    assert err.value.partial.accepted == 0  # type: ignore[attr-defined]


def test_dataframes_become_predictions_and_labels(gateway, model_id, wait_for_counts) -> None:
    pd = pytest.importorskip("pandas")
    import numpy as np

    df = pd.DataFrame({
        "request_id": [f"r-{i}" for i in range(50)],
        "ts": pd.date_range("2026-11-23 10:00", periods=50, freq="min", tz="UTC"),
        "amount": np.linspace(1, 50, 50),
        "country": ["DE", "FR", None, "BR", "DE"] * 10,
        "age": [np.nan if i % 10 == 0 else i for i in range(50)],
        "predicted": ["fraud", "legit"] * 25,
        "p_fraud": np.linspace(0, 1, 50),
        "truth": ["fraud", None, "legit", "legit", "fraud"] * 10,
    })
    predictions = predictions_from_dataframe(df, model_id=model_id, model_version="v2", feature_columns=["amount", "country", "age"],
                                             label_column="predicted", score_column="p_fraud", id_column="request_id",
                                             timestamp_column="ts", segment_columns=["country"])
    assert predictions[0]["features"]["age"] is None and predictions[2]["segments"] == {}
    assert predictions[1]["timestamp"] == "2026-11-23T10:01:00.000Z" and isinstance(predictions[1]["features"]["amount"], float)
    labels = labels_from_dataframe(df, model_id=model_id, id_column="request_id", label_column="truth", source="pandas")
    assert len(labels) == 40  # rows without a label yet are skipped

    with HindsightClient(gateway["url"], gateway["token"]) as client:
        client.log_predictions(predictions)
        client.log_labels(labels)
    assert client.stats()["accepted"] == 90 and client.stats()["rejected"] == 0
    wait_for_counts(model_id, 50, 40)


def test_regression_values_and_an_explicit_flush(gateway, model_id, wait_for_counts, stored_counts: Callable[[str], Dict[str, int]]) -> None:
    with HindsightClient(gateway["url"], gateway["token"], flush_interval=60) as client:
        for i in range(20):
            pid = client.log_prediction(model_id=model_id, model_version="r1", stage="shadow", timestamp=DAY, features={"x": i}, prediction={"value": i * 1.5})
            client.log_label(prediction_id=pid, model_id=model_id, value=i * 1.5 + 0.25)
        result = client.flush()
        assert result.accepted == 40 and client.stats()["buffered"] == 0
    wait_for_counts(model_id, 20, 20)
