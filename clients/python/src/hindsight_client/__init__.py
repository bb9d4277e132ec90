"""Python client for Hindsight: log predictions and delayed labels from a model server.

    from hindsight_client import HindsightClient

    with HindsightClient("http://127.0.0.1:8080", token) as hindsight:
        pid = hindsight.log_prediction(model_id="fraud", model_version="v3",
                                       features={"amount": 12.5}, prediction={"label": "fraud", "score": 0.93})
        hindsight.log_label(prediction_id=pid, model_id="fraud", label="legit")
"""

from .batching import DEFAULT_MAX_BATCH_ITEMS, DEFAULT_MAX_BODY_BYTES
from .client import HindsightClient
from .dataframe import labels_from_dataframe, predictions_from_dataframe
from .errors import HindsightAuthError, HindsightError, HindsightUnavailable, Rejection, SendResult
from .events import label_event, prediction_event

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_BATCH_ITEMS",
    "DEFAULT_MAX_BODY_BYTES",
    "HindsightAuthError",
    "HindsightClient",
    "HindsightError",
    "HindsightUnavailable",
    "Rejection",
    "SendResult",
    "label_event",
    "labels_from_dataframe",
    "prediction_event",
    "predictions_from_dataframe",
]
