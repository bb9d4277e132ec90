"""Cutting encoded events into request bodies under the gateway's limits (pure, no I/O)."""

from __future__ import annotations

from typing import Iterator, List, Sequence, Tuple

#: The gateway's defaults: HINDSIGHT_MAX_BODY_BYTES and HINDSIGHT_MAX_BATCH_ITEMS.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_BATCH_ITEMS = 5000


def body_size(encoded: Sequence[bytes]) -> int:
    """Bytes of ``[e1,e2,...]``."""
    return 2 + sum(len(e) for e in encoded) + max(len(encoded) - 1, 0)


def join_body(encoded: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(encoded) + b"]"


def fits_alone(event: bytes, max_body_bytes: int) -> bool:
    return len(event) + 2 <= max_body_bytes


def split(encoded: Sequence[bytes], max_body_bytes: int, max_items: int) -> Iterator[Tuple[int, int]]:
    """``(start, end)`` ranges over ``encoded``, in order, each forming a body of at most
    ``max_body_bytes`` bytes and ``max_items`` events. Every event must fit alone (see
    :func:`fits_alone`); the caller sets aside those that do not."""
    if max_items < 1 or max_body_bytes < 3:
        raise ValueError("max_items must be at least 1 and max_body_bytes at least 3")
    start, size = 0, 2
    for i, event in enumerate(encoded):
        extra = len(event) + (1 if i > start else 0)
        if i > start and (size + extra > max_body_bytes or i - start >= max_items):
            yield start, i
            start, size, extra = i, 2, len(event)
        if size + extra > max_body_bytes:
            raise ValueError(f"event {i} alone takes {len(event)} bytes, over the body limit of {max_body_bytes}")
        size += extra
    if start < len(encoded):
        yield start, len(encoded)


def ranges_to_lists(encoded: Sequence[bytes], ranges: List[Tuple[int, int]]) -> List[List[bytes]]:
    return [list(encoded[a:b]) for a, b in ranges]
