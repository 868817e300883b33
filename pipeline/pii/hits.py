"""What a recognizer reports: a span of the text, its entity type and how sure the recognizer is."""

from __future__ import annotations

from typing import NamedTuple


class Hit(NamedTuple):
    """A found value: [start, end) of the text, the entity type, and a score that decides overlaps."""

    start: int
    end: int
    entity: str
    score: float


def resolve(hits: list[Hit]) -> list[Hit]:
    """Non-overlapping hits in text order: the higher score wins a conflict, then the longer span."""
    chosen: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-h.score, h.start - h.end, h.start)):
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            chosen.append(hit)
    return sorted(chosen)
