"""Building prediction and label events in the gateway's JSON form, and encoding them once."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from typing import Any, Dict, Mapping, Optional, Union

#: A datetime (naive ones are taken as UTC), an ISO-8601 string with a zone, or epoch milliseconds.
Timestamp = Union[dt.datetime, str, int]


def now_ms() -> int:
    return int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)


def to_timestamp(value: Optional[Timestamp]) -> Union[str, int]:
    """The wire form of a timestamp: ISO-8601 in UTC, or epoch milliseconds. ``None`` is now."""
    if value is None:
        return now_ms()
    if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime too
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return to_timestamp(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc))
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        if hasattr(value, "item"):  # a numpy integer
            return to_timestamp(value.item())
        raise TypeError("a timestamp must be a datetime, an ISO-8601 string with a zone, or epoch milliseconds (int)")
    return value


def _plain(value: Any) -> Any:
    """numpy scalars become Python values; NaN and infinities become None (JSON has no NaN)."""
    if value is not None and not isinstance(value, (str, int, float, bool)) and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def prediction_event(
    *,
    model_id: str,
    model_version: str,
    prediction: Mapping[str, Any],
    features: Optional[Mapping[str, Any]] = None,
    prediction_id: Optional[str] = None,
    segments: Optional[Mapping[str, Any]] = None,
    stage: str = "production",
    timestamp: Optional[Timestamp] = None,
    request_id: Optional[str] = None,
) -> Dict[str, Any]:
    """One prediction event.

    ``prediction`` is ``{"label": ..., "score": p}`` for a binary classifier, ``{"label": ...,
    "scores": {class: p}}`` for a multi-class one, ``{"value": x}`` for regression. A missing
    ``prediction_id`` becomes a random UUID; a missing ``timestamp`` is now. ``request_id`` is the
    request this prediction answers, shared by the variants (shadow, canary) that score it, so they
    can be compared on the same requests.
    """
    output = {k: _plain(v) for k, v in prediction.items()}
    if isinstance(output.get("scores"), Mapping):
        output["scores"] = {str(k): _plain(v) for k, v in output["scores"].items()}
    return {
        "prediction_id": prediction_id if prediction_id is not None else str(uuid.uuid4()),
        "model_id": model_id,
        "model_version": model_version,
        "stage": stage,
        "timestamp": to_timestamp(timestamp),
        "features": {str(k): _plain(v) for k, v in (features or {}).items()},
        "prediction": output,
        "segments": {str(k): str(_plain(v)) for k, v in (segments or {}).items() if _plain(v) is not None},
        **({} if request_id is None else {"request_id": request_id}),
    }


def label_event(
    *,
    prediction_id: Optional[str] = None,
    model_id: str,
    label: Any = None,
    value: Optional[float] = None,
    labeled_at: Optional[Timestamp] = None,
    source: str = "unspecified",
    request_id: Optional[str] = None,
) -> Dict[str, Any]:
    """One label event: ``label`` (classification) or ``value`` (regression), not both.

    Name the ``prediction_id`` it labels, or the ``request_id`` of a request that several variants
    scored: the label then joins every variant's prediction of that request.

    ``labeled_at`` defaults to now, fixed here, so that a retried request carries the same label
    and the gateway recognises the duplicate.
    """
    label, value = _plain(label), _plain(value)
    if (label is None) == (value is None):
        raise ValueError("give exactly one of label= or value=")
    if prediction_id is None and request_id is None:
        raise ValueError("give prediction_id= or request_id=")
    event: Dict[str, Any] = {
        "prediction_id": prediction_id if prediction_id is not None else "",
        "model_id": model_id,
        "labeled_at": to_timestamp(labeled_at),
        "source": source,
    }
    if label is not None:
        event["label"] = label
    else:
        event["value"] = value
    if request_id is not None:
        event["request_id"] = request_id
    return event


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (dt.datetime, dt.date)):
        return to_timestamp(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def encode(event: Mapping[str, Any]) -> bytes:
    """An event's compact UTF-8 JSON, encoded once when it is logged (so a bad value fails in the
    caller's thread, and batches can be cut by exact byte counts)."""
    return json.dumps(event, default=_json_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
