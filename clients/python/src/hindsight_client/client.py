"""The client: log events now, a background thread sends them in batches; or send a list at once."""

from __future__ import annotations

import atexit
import collections
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import batching
from .errors import HindsightAuthError, HindsightError, HindsightUnavailable, Rejection, SendResult
from .events import Timestamp, encode, label_event, prediction_event
from .transport import Answer, RetryPolicy, Transport, error_message

log = logging.getLogger("hindsight_client")

KINDS = {"prediction": "/v1/predictions", "label": "/v1/labels"}

RejectionHandler = Callable[[Rejection], None]
ErrorHandler = Callable[[HindsightError], None]


@dataclass
class _Pending:
    """A logged event waiting to be sent; ``index`` is its place in its send (see :class:`Rejection`)."""

    index: int
    encoded: bytes
    event: Mapping[str, Any]


def _log_rejection(rejection: Rejection) -> None:
    log.warning("%s %s rejected: %s %s", rejection.kind, rejection.prediction_id or "?", rejection.path, rejection.message)


def _log_error(err: HindsightError) -> None:
    log.error("background flush failed, events stay buffered: %s", err)


class HindsightClient:
    """Client for Hindsight's HTTP gateway. Thread-safe.

    * ``log_prediction(...)`` / ``log_label(...)`` (and ``log_predictions`` / ``log_labels`` for
      lists) buffer events; a background thread sends them every ``flush_interval`` seconds, or as
      soon as a full batch is waiting. Events the gateway refuses go to ``on_rejected`` (default:
      a warning in the log) and to :meth:`take_rejections`.
    * ``send_predictions(events)`` / ``send_labels(events)`` send a list now and return a
      :class:`SendResult` whose rejections index into that list.
    * ``with HindsightClient(...) as client:`` flushes and stops the thread on exit; otherwise
      call :meth:`close`.

    Batches are cut by bytes and count under the gateway's ``HINDSIGHT_MAX_BODY_BYTES`` and
    ``HINDSIGHT_MAX_BATCH_ITEMS`` (pass the values your gateway runs with if you changed them).
    Connection errors, 429, 502, 503 and 504 are retried with capped exponential backoff and
    jitter, waiting at least what ``Retry-After`` says.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        max_body_bytes: int = batching.DEFAULT_MAX_BODY_BYTES,
        max_batch_items: int = batching.DEFAULT_MAX_BATCH_ITEMS,
        flush_interval: float = 1.0,
        max_buffered_events: int = 100_000,
        max_buffered_bytes: int = 256 * 1024 * 1024,
        timeout: float = 10.0,
        max_retries: int = 5,
        backoff: float = 0.25,
        max_backoff: float = 30.0,
        on_rejected: Optional[RejectionHandler] = None,
        on_error: Optional[ErrorHandler] = None,
        background: bool = True,
        max_kept_rejections: int = 10_000,
    ) -> None:
        if max_batch_items < 1:
            raise ValueError("max_batch_items must be at least 1")
        if max_body_bytes < 1024:
            raise ValueError("max_body_bytes must be at least 1024")
        self.max_body_bytes = max_body_bytes
        self.max_batch_items = max_batch_items
        self.flush_interval = flush_interval
        self.max_buffered_events = max_buffered_events
        self.max_buffered_bytes = max_buffered_bytes
        self.on_rejected: RejectionHandler = on_rejected or _log_rejection
        self.on_error: ErrorHandler = on_error or _log_error
        self.background = background
        self._transport = Transport(url, token, timeout=timeout, policy=RetryPolicy(max_retries, backoff, max_backoff), user_agent="hindsight-client-python/0.1")

        self._lock = threading.Lock()  # guards the buffers and counters
        self._wake = threading.Condition(self._lock)
        self._send_lock = threading.Lock()  # one sender at a time: predictions leave before their labels
        self._buffers: Dict[str, Deque[_Pending]] = {kind: collections.deque() for kind in KINDS}
        self._buffered_bytes = 0
        self._next_index = {kind: 0 for kind in KINDS}
        self._rejections: Deque[Rejection] = collections.deque(maxlen=max_kept_rejections)
        self._counts = {"accepted": 0, "rejected": 0, "dropped": 0, "requests": 0}
        self._last_error: Optional[HindsightError] = None
        self._thread: Optional[threading.Thread] = None
        self._closing = False
        self._closed = False
        self._transport.interrupted = lambda: self._closing
        atexit.register(self._at_exit)

    # ------------------------------------------------------------------ buffered logging

    def log_prediction(
        self,
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
    ) -> str:
        """Buffer one prediction; returns its ``prediction_id`` (a new UUID unless given), which the
        label will need. Raises ``TypeError``/``ValueError`` at once for a value JSON cannot hold."""
        event = prediction_event(model_id=model_id, model_version=model_version, prediction=prediction, features=features,
                                 prediction_id=prediction_id, segments=segments, stage=stage, timestamp=timestamp,
                                 request_id=request_id)
        self._enqueue("prediction", [(event, encode(event))])
        return str(event["prediction_id"])

    def log_label(
        self,
        *,
        prediction_id: Optional[str] = None,
        model_id: str,
        label: Any = None,
        value: Optional[float] = None,
        labeled_at: Optional[Timestamp] = None,
        source: str = "unspecified",
        request_id: Optional[str] = None,
    ) -> None:
        """Buffer one label: ``label`` for a class, ``value`` for a regression target; for the
        prediction ``prediction_id``, or for every variant's prediction of ``request_id``."""
        event = label_event(prediction_id=prediction_id, model_id=model_id, label=label, value=value, labeled_at=labeled_at, source=source,
                            request_id=request_id)
        self._enqueue("label", [(event, encode(event))])

    def log_predictions(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Buffer prediction events in the gateway's JSON form (see :func:`prediction_event`)."""
        self._enqueue_many("prediction", events)

    def log_labels(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Buffer label events in the gateway's JSON form (see :func:`label_event`)."""
        self._enqueue_many("label", events)

    def _enqueue_many(self, kind: str, events: Iterable[Mapping[str, Any]]) -> None:
        encoded: List[Tuple[Mapping[str, Any], Optional[bytes]]] = []
        for event in events:
            try:
                encoded.append((event, encode(event)))
            except (TypeError, ValueError) as err:
                encoded.append((event, None))
                log.debug("unencodable %s: %s", kind, err)
        self._enqueue(kind, encoded)

    def _enqueue(self, kind: str, items: Sequence[Tuple[Mapping[str, Any], Optional[bytes]]]) -> None:
        if self._closed:
            raise HindsightError("the client is closed")
        refused: List[Rejection] = []
        with self._lock:
            buffer = self._buffers[kind]
            for event, data in items:
                index = self._next_index[kind]
                self._next_index[kind] += 1
                if data is None:
                    refused.append(Rejection(kind, index, "", "not JSON-serialisable (NaN, infinity, or an object JSON cannot hold)", event))
                elif not batching.fits_alone(data, self.max_body_bytes):
                    refused.append(Rejection(kind, index, "", f"this event takes {len(data)} bytes, over the body limit of {self.max_body_bytes}", event))
                else:
                    buffer.append(_Pending(index, data, event))
                    self._buffered_bytes += len(data)
            self._drop_oldest_over_capacity()
            due = self._due()
            if due:
                self._wake.notify_all()
        self._reject(refused)
        if self.background:
            self._ensure_thread()

    def _drop_oldest_over_capacity(self) -> None:
        """A gateway down for long: keep memory bounded and say how many events were given up."""
        dropped = 0
        while self._buffer_len() > self.max_buffered_events or self._buffered_bytes > self.max_buffered_bytes:
            # Labels go first: a prediction without its label still counts (volume, drift).
            buffer = self._buffers["label"] or self._buffers["prediction"]
            self._buffered_bytes -= len(buffer.popleft().encoded)
            dropped += 1
        if dropped:
            self._counts["dropped"] += dropped
            log.warning("buffer full (%d events, %d bytes): dropped the %d oldest", self.max_buffered_events, self.max_buffered_bytes, dropped)

    def _buffer_len(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def _due(self) -> bool:
        return any(len(b) >= self.max_batch_items for b in self._buffers.values()) or self._buffered_bytes >= self.max_body_bytes // 2

    # ------------------------------------------------------------------ sending a list now

    def send_predictions(self, events: Sequence[Mapping[str, Any]]) -> SendResult:
        """Send prediction events now, in as many requests as the limits need. Rejections index into
        ``events``. Raises :class:`HindsightUnavailable` or :class:`HindsightAuthError` (with the
        part already sent in ``err.partial``); sending the whole list again is safe."""
        return self._send_now("prediction", events)

    def send_labels(self, events: Sequence[Mapping[str, Any]]) -> SendResult:
        """Send label events now; as :meth:`send_predictions`."""
        return self._send_now("label", events)

    def _send_now(self, kind: str, events: Sequence[Mapping[str, Any]]) -> SendResult:
        result = SendResult()
        pending: List[_Pending] = []
        for index, event in enumerate(events):
            try:
                data = encode(event)
            except (TypeError, ValueError):
                result.rejected.append(Rejection(kind, index, "", "not JSON-serialisable (NaN, infinity, or an object JSON cannot hold)", event))
                continue
            if batching.fits_alone(data, self.max_body_bytes):
                pending.append(_Pending(index, data, event))
            else:
                result.rejected.append(Rejection(kind, index, "", f"this event takes {len(data)} bytes, over the body limit of {self.max_body_bytes}", event))
        encoded = [p.encoded for p in pending]
        try:
            for start, end in batching.split(encoded, self.max_body_bytes, self.max_batch_items):
                self._send_batch(kind, pending[start:end], result)
        except HindsightError as err:
            setattr(err, "partial", result)
            raise
        result.rejected.sort(key=lambda r: r.index)
        return result

    def _send_batch(self, kind: str, batch: List[_Pending], result: SendResult) -> None:
        """POST one batch; 413s are resolved here by splitting or setting events aside."""
        answer: Answer = self._transport.post(KINDS[kind], batching.join_body([p.encoded for p in batch]))
        with self._lock:
            self._counts["requests"] += 1
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 202 or 200 <= answer.status < 300:
            result.accepted += int(body.get("accepted", 0))
            for item in body.get("rejected") or []:
                position = item.get("index")
                if isinstance(position, int) and 0 <= position < len(batch):
                    pending = batch[position]
                    result.rejected.append(Rejection(kind, pending.index, str(item.get("path", "")), str(item.get("message", "")), pending.event))
            return
        if answer.status in (401, 403):
            raise HindsightAuthError(answer.status, error_message(answer.body))
        if answer.status == 413:
            too_large = {item.get("index") for item in body.get("rejected") or [] if isinstance(item, dict)}
            if too_large:
                # Events that alone exceed the gateway's Kafka produce limit: nothing was sent; set them aside, send the rest.
                messages = {item.get("index"): str(item.get("message", "")) for item in body.get("rejected") or []}
                for position in sorted(i for i in too_large if isinstance(i, int) and 0 <= i < len(batch)):
                    pending = batch[position]
                    result.rejected.append(Rejection(kind, pending.index, "", messages[position] or error_message(answer.body), pending.event))
                rest = [p for i, p in enumerate(batch) if i not in too_large]
                if rest:
                    self._send_batch(kind, rest, result)
                return
            if len(batch) > 1:
                # The gateway runs with lower limits than this client was given: halve and go on.
                log.info("413 for %d %ss (%s): splitting the batch", len(batch), kind, error_message(answer.body))
                half = len(batch) // 2
                self._send_batch(kind, batch[:half], result)
                self._send_batch(kind, batch[half:], result)
                return
        if 400 <= answer.status < 500:
            # The gateway refused the request as a whole; it would refuse it again. Each event is
            # reported so that nothing disappears silently, and the buffer moves on.
            message = f"HTTP {answer.status}: {error_message(answer.body)}"
            result.rejected.extend(Rejection(kind, p.index, "", message, p.event) for p in batch)
            return
        raise HindsightUnavailable(f"POST {KINDS[kind]}: HTTP {answer.status}: {error_message(answer.body)}")

    # ------------------------------------------------------------------ flushing

    def flush(self) -> SendResult:
        """Send everything buffered so far (predictions first, then labels) and wait for it. Returns
        what this flush sent; its rejections also went to ``on_rejected``. On failure the unsent
        events stay buffered and the error is raised."""
        total = SendResult()
        with self._send_lock:
            for kind in KINDS:
                while True:
                    batch = self._take_batch(kind)
                    if not batch:
                        break
                    result = SendResult()
                    try:
                        self._send_batch(kind, batch, result)
                    except HindsightError as err:
                        self._put_back(kind, batch)
                        with self._lock:
                            self._last_error = err
                        raise
                    self._record(result)
                    total.merge(result)
        with self._lock:
            self._last_error = None
        return total

    def _take_batch(self, kind: str) -> List[_Pending]:
        with self._lock:
            buffer = self._buffers[kind]
            batch: List[_Pending] = []
            size = 2
            while buffer and len(batch) < self.max_batch_items:
                extra = len(buffer[0].encoded) + (1 if batch else 0)
                if batch and size + extra > self.max_body_bytes:
                    break
                pending = buffer.popleft()
                batch.append(pending)
                size += extra
                self._buffered_bytes -= len(pending.encoded)
            return batch

    def _put_back(self, kind: str, batch: List[_Pending]) -> None:
        with self._lock:
            self._buffers[kind].extendleft(reversed(batch))
            self._buffered_bytes += sum(len(p.encoded) for p in batch)
            self._drop_oldest_over_capacity()

    def _record(self, result: SendResult) -> None:
        with self._lock:
            self._counts["accepted"] += result.accepted
        self._reject(result.rejected)

    def _reject(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        with self._lock:
            self._counts["rejected"] += len(rejections)
            self._rejections.extend(rejections)
        for rejection in rejections:
            try:
                self.on_rejected(rejection)
            except Exception:  # a caller's handler must not stop the sender
                log.exception("on_rejected raised")

    def take_rejections(self) -> List[Rejection]:
        """Rejections of logged events since the last call (the newest ``max_kept_rejections``)."""
        with self._lock:
            taken = list(self._rejections)
            self._rejections.clear()
            return taken

    def stats(self) -> Dict[str, Any]:
        """Counts since the client started: accepted, rejected, dropped (buffer overflow), requests,
        buffered (waiting now), and the last background error (None once a flush succeeded)."""
        with self._lock:
            return {**self._counts, "buffered": self._buffer_len(), "buffered_bytes": self._buffered_bytes, "last_error": self._last_error}

    # ------------------------------------------------------------------ the background thread

    def _ensure_thread(self) -> None:
        # Started on first use, and again after a fork (the child has no copy of the thread).
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._closing or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="hindsight-flush", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        failures = 0
        while True:
            with self._lock:
                wait = self.flush_interval if failures == 0 else min(self._transport.policy.max_backoff, self.flush_interval * 2 ** failures)
                deadline = time.monotonic() + wait
                while not self._closing and (failures > 0 or not self._due()):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._wake.wait(remaining)
                if self._closing:
                    return
            try:
                self.flush()
                failures = 0
            except HindsightError as err:
                failures += 1
                try:
                    self.on_error(err)
                except Exception:
                    log.exception("on_error raised")

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Stop the background thread and send what is buffered. Raises if that last flush fails
        (the events it could not send are then lost with the client)."""
        if self._closed:
            return
        with self._lock:
            self._closing = True
            self._wake.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._closing = False  # the final flush may retry as usual
        try:
            self.flush()
        finally:
            self._closed = True
            atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:
        try:
            self.close()
        except HindsightError as err:
            log.error("events not sent at exit: %s", err)

    def __enter__(self) -> "HindsightClient":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
            return
        # An exception is already on its way: report a failing flush without hiding it.
        try:
            self.close()
        except HindsightError as err:
            log.error("flush on exit failed: %s", err)
