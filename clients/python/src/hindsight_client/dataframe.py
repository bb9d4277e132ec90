"""pandas helpers: one event per DataFrame row. pandas is imported only when these are called, and
only to recognise missing values; the package itself does not depend on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence

from .events import label_event, prediction_event

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _missing(value: Any) -> bool:
    import pandas as pd  # lazily: the client works without pandas

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and dicts are not "missing"
        return False


def _cell(row: Mapping[str, Any], column: Optional[str]) -> Any:
    if column is None:
        return None
    value = row[column]
    return None if _missing(value) else value


def _records(df: "pd.DataFrame", columns: Sequence[str]) -> List[Dict[str, Any]]:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"no column(s) {', '.join(map(repr, missing))} in the DataFrame")
    return df[list(dict.fromkeys(columns))].to_dict("records")


def predictions_from_dataframe(
    df: "pd.DataFrame",
    *,
    model_id: str,
    model_version: str,
    feature_columns: Sequence[str],
    label_column: Optional[str] = None,
    score_column: Optional[str] = None,
    scores_columns: Optional[Mapping[str, str]] = None,
    value_column: Optional[str] = None,
    id_column: Optional[str] = None,
    timestamp_column: Optional[str] = None,
    segment_columns: Sequence[str] = (),
    stage: str = "production",
) -> List[Dict[str, Any]]:
    """Prediction events from a DataFrame, one per row.

    Name the model output's columns: ``label_column`` (predicted class) and/or ``score_column``
    (binary probability), ``scores_columns`` (``{class: column}`` for multi-class), or
    ``value_column`` (regression). Missing cells (NaN, None, NaT) become JSON null in features and
    are left out of the output and segments. Without ``id_column`` each row gets a new UUID; without
    ``timestamp_column``, now.
    """
    outputs = [c for c in (label_column, score_column, value_column) if c] + list((scores_columns or {}).values())
    if not outputs:
        raise ValueError("name at least one output column: label_column, score_column, scores_columns or value_column")
    columns = [*feature_columns, *outputs, *segment_columns, *(c for c in (id_column, timestamp_column) if c)]
    events = []
    for row in _records(df, columns):
        prediction: Dict[str, Any] = {}
        for key, column in (("label", label_column), ("score", score_column), ("value", value_column)):
            value = _cell(row, column)
            if value is not None:
                prediction[key] = value
        if scores_columns:
            scores = {cls: _cell(row, col) for cls, col in scores_columns.items()}
            prediction["scores"] = {cls: p for cls, p in scores.items() if p is not None}
        pid = _cell(row, id_column)
        events.append(prediction_event(
            model_id=model_id,
            model_version=model_version,
            stage=stage,
            prediction_id=None if pid is None else str(pid),
            timestamp=_cell(row, timestamp_column),
            features={c: _cell(row, c) for c in feature_columns},
            prediction=prediction,
            segments={c: _cell(row, c) for c in segment_columns},
        ))
    return events


def labels_from_dataframe(
    df: "pd.DataFrame",
    *,
    model_id: str,
    id_column: str,
    label_column: Optional[str] = None,
    value_column: Optional[str] = None,
    labeled_at_column: Optional[str] = None,
    source: str = "unspecified",
) -> List[Dict[str, Any]]:
    """Label events from a DataFrame, one per row with a label: name ``label_column`` (class) or
    ``value_column`` (regression target). Rows whose label cell is missing are skipped (no label yet)."""
    if (label_column is None) == (value_column is None):
        raise ValueError("name exactly one of label_column or value_column")
    target = label_column or value_column
    assert target is not None
    columns = [id_column, target, *(c for c in (labeled_at_column,) if c)]
    events = []
    for row in _records(df, columns):
        truth = _cell(row, target)
        if truth is None:
            continue
        events.append(label_event(
            prediction_id=str(row[id_column]),
            model_id=model_id,
            label=truth if label_column else None,
            value=truth if value_column else None,
            labeled_at=_cell(row, labeled_at_column),
            source=source,
        ))
    return events
