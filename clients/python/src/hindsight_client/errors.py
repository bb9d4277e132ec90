"""Exceptions the client raises, and the per-item rejection it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional


class HindsightError(Exception):
    """Base class of everything this package raises."""


class HindsightAuthError(HindsightError):
    """401 (missing or unknown token) or 403 (the token lacks the scope). Retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class HindsightUnavailable(HindsightError):
    """The gateway could not be reached, or kept answering 429/5xx, through every retry."""


@dataclass(frozen=True)
class Rejection:
    """One event the gateway (or the client, before sending) refused.

    ``index`` points into the list given to ``send_*``/``log_*`` (for buffered events: the order in
    which they were logged within that call). ``path`` names the field (``"prediction.score"``,
    ``"model_id"``; empty for the event as a whole), ``message`` says why.
    """

    kind: str
    index: int
    path: str
    message: str
    event: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def prediction_id(self) -> Optional[str]:
        value = self.event.get("prediction_id")
        return value if isinstance(value, str) else None


@dataclass
class SendResult:
    """What became of the events of one call (possibly several HTTP requests)."""

    accepted: int = 0
    rejected: List[Rejection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def merge(self, other: "SendResult") -> None:
        self.accepted += other.accepted
        self.rejected.extend(other.rejected)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": [{"index": r.index, "path": r.path, "message": r.message} for r in self.rejected],
        }
