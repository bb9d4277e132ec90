"""Cutting batches by bytes and count (no server needed)."""

from __future__ import annotations

import json
import random

import pytest

from hindsight_client import batching
from hindsight_client.events import encode, label_event, prediction_event


def test_every_body_is_within_both_limits_and_nothing_is_lost_or_reordered() -> None:
    rng = random.Random(7)
    encoded = [encode({"prediction_id": str(i), "pad": "x" * rng.randint(0, 900)}) for i in range(2000)]
    for max_bytes, max_items in [(1024, 5000), (4096, 7), (10 * 1024 * 1024, 5000), (2000, 1)]:
        ranges = list(batching.split(encoded, max_bytes, max_items))
        assert [i for a, b in ranges for i in range(a, b)] == list(range(len(encoded)))
        for a, b in ranges:
            body = batching.join_body(encoded[a:b])
            assert len(body) == batching.body_size(encoded[a:b]) <= max_bytes
            assert b - a <= max_items
            assert [e["prediction_id"] for e in json.loads(body)] == [str(i) for i in range(a, b)]


def test_batches_are_as_full_as_the_limits_allow() -> None:
    encoded = [b"0123456789"] * 100  # 10 bytes each: a body of n events takes 11n + 1 bytes
    ranges = list(batching.split(encoded, 111, 1000))
    assert [b - a for a, b in ranges] == [10] * 10
    assert [b - a for a, b in batching.split(encoded, 10**6, 30)] == [30, 30, 30, 10]


def test_an_event_too_large_alone_is_refused() -> None:
    assert not batching.fits_alone(b"x" * 1023, 1024)
    with pytest.raises(ValueError, match="event 1 alone"):
        list(batching.split([b"1", b"x" * 2000], 1024, 10))


def test_events_are_built_in_the_gateways_json_form() -> None:
    import datetime as dt

    p = prediction_event(model_id="m", model_version="v1", features={"a": float("nan"), "b": 2}, prediction={"score": 0.5},
                         segments={"country": "DE", "empty": None}, timestamp=dt.datetime(2026, 11, 23, 10, 0))
    assert p["timestamp"] == "2026-11-23T10:00:00.000Z"
    assert p["features"] == {"a": None, "b": 2} and p["segments"] == {"country": "DE"} and p["stage"] == "production"
    assert len(p["prediction_id"]) == 36
    label = label_event(prediction_id="x", model_id="m", value=1.5)
    assert isinstance(label["labeled_at"], int) and label["value"] == 1.5 and "label" not in label
    with pytest.raises(ValueError):
        label_event(prediction_id="x", model_id="m")
    with pytest.raises(ValueError):
        encode({"bad": float("inf")})


def test_variants_share_a_request_and_one_label_names_it() -> None:
    shadow = prediction_event(model_id="m", model_version="v5", stage="shadow", prediction={"score": 0.4}, request_id="r-1")
    assert shadow["request_id"] == "r-1"
    assert "request_id" not in prediction_event(model_id="m", model_version="v1", prediction={"score": 0.4})
    label = label_event(request_id="r-1", model_id="m", label="fraud")
    assert label["prediction_id"] == "" and label["request_id"] == "r-1"
    with pytest.raises(ValueError, match="prediction_id= or request_id="):
        label_event(model_id="m", label="fraud")
