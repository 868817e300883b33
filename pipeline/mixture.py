"""The mixture: token weights per bucket (the document's domain), reached by down-sampling and repetition.

Three steps, each deterministic whatever the order documents arrive in:
1. `Tally`: per cell (bucket, topic) the documents, tokens and a histogram of tokens over the documents'
   draws (a hash of seed and id in [0, 1)): an accumulator that adds and merges in any order.
2. `plan_mixture`: from the tally and `MixtureConfig`, each bucket's target tokens and, per cell, a rate
   split into whole copies and a draw threshold that the histogram places so the cell yields its target.
3. `MixturePlan.copies`: per document, how many rows it gets (0: sampled out). Copy k >= 2 is the row
   "<id>#k" with `copy_of` = id.

Topics (the transformer tier's `topic.<model>.<label>` signals) shape a bucket before its rate: topic
weights scale a topic's share, caps bound it (water-filling), and the bucket's rate applies on top.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from classifiers.transformer import top_label
from schemas.config import MixtureConfig
from schemas.document import DOMAINS, Document
from schemas.hashing import stable_hash

BINS = 4096  # histogram bins over the draw: a cell's yield is placed within 1/4096 of its tokens
UNKNOWN_TOPIC = "unknown"
REASON = "mixture.sampled_out"
Cell = tuple[str, str]  # (bucket, topic or "")


def bucket_of(doc: Document) -> str:
    return doc.domain if doc.domain in DOMAINS else "general"


def cell_of(doc: Document, cfg: MixtureConfig) -> Cell:
    """The document's (bucket, topic); the topic is "" unless topics are configured for its bucket."""
    bucket = bucket_of(doc)
    topics = cfg.topics
    if topics.signal and bucket in topics.buckets:
        return bucket, top_label(doc.signals, topics.signal) or UNKNOWN_TOPIC
    return bucket, ""


def draw(doc_id: str, seed: int) -> float:
    """The document's uniform draw in [0, 1): the same on every machine, independent of shard assignment."""
    return stable_hash(f"mixture\x00{seed}\x00{doc_id}") / 2**64


def copy_id(doc_id: str, copy: int) -> str:
    return doc_id if copy == 1 else f"{doc_id}#{copy}"


class Tally:
    """Per cell: [documents, tokens, tokens per draw bin]. Integer sums: merging in any order is exact."""

    def __init__(self):
        self.cells: dict[Cell, list] = {}

    def _cell(self, cell: Cell) -> list:
        found = self.cells.get(cell)
        if found is None:
            found = self.cells[cell] = [0, 0, np.zeros(BINS, dtype=np.int64)]
        return found

    def add(self, cell: Cell, draw_value: float, tokens: int) -> Tally:
        entry = self._cell(cell)
        entry[0] += 1
        entry[1] += tokens
        entry[2][min(int(draw_value * BINS), BINS - 1)] += tokens
        return self

    def add_many(self, cell: Cell, draws: np.ndarray, tokens: np.ndarray) -> Tally:
        """Vectorized `add` of many documents of one cell (tune reads stored columns)."""
        entry = self._cell(cell)
        entry[0] += len(draws)
        entry[1] += int(tokens.sum())
        bins = np.minimum((draws * BINS).astype(np.int64), BINS - 1)
        entry[2] += np.bincount(bins, weights=tokens, minlength=BINS).astype(np.int64)
        return self

    def merge(self, others: Iterable[Tally]) -> Tally:
        for other in others:
            for cell, (docs, tokens, histogram) in other.cells.items():
                entry = self._cell(cell)
                entry[0] += docs
                entry[1] += tokens
                entry[2] += histogram
        return self


@dataclass(frozen=True)
class CellRate:
    """Every document of the cell gets `whole` rows, and one more if its draw is below `threshold`."""

    rate: float
    whole: int
    threshold: float
    expected_tokens: int


@dataclass
class BucketPlan:
    """What the mixture asks of a bucket and what the tally lets it have."""

    requested: float  # the configured weight, normalized over the buckets that can take part
    documents: int
    tokens: int
    target_tokens: float
    expected_tokens: int
    epochs: float  # expected tokens / available tokens
    max_repeat: float
    note: str
    topics: dict[str, dict] = field(default_factory=dict)


@dataclass
class MixturePlan:
    seed: int
    total_tokens: float
    buckets: dict[str, BucketPlan]
    cells: dict[Cell, CellRate]
    notes: list[str]

    def copies(self, cell: Cell, draw_value: float) -> int:
        rate = self.cells.get(cell)
        if rate is None:
            return 0
        return rate.whole + (draw_value < rate.threshold)

    def summary(self) -> dict:
        """The plan as plain data (the manifest's `mixture.plan`)."""
        buckets = {}
        expected_total = sum(b.expected_tokens for b in self.buckets.values())
        for name, b in self.buckets.items():
            buckets[name] = {
                "requested": round(b.requested, 6),
                "planned": round(b.expected_tokens / expected_total, 6) if expected_total else 0.0,
                "documents": b.documents,
                "tokens": b.tokens,
                "target_tokens": round(b.target_tokens),
                "planned_tokens": b.expected_tokens,
                "epochs": round(b.epochs, 4),
                "max_repeat": b.max_repeat,
                "note": b.note,
                **({"topics": b.topics} if b.topics else {}),
            }
        return {
            "seed": self.seed,
            "total_tokens": round(self.total_tokens),
            "buckets": buckets,
            "notes": list(self.notes),
        }


def topic_factors(tokens: Mapping[str, int], weights: Mapping[str, float], caps: Mapping[str, float]):
    """Per topic, the factor on its tokens that gives it its weighted share, bounded by its cap (other
    topics fill the room a capped one leaves); factors keep the bucket's total. Returns (factors, notes)."""
    present = {t: n for t, n in tokens.items() if n > 0}
    total = sum(present.values())
    if not total:
        return {}, []
    weighted = {t: n * weights.get(t, 1.0) for t, n in present.items()}
    weighted_total = sum(weighted.values())
    shares = {t: w / weighted_total for t, w in weighted.items()}
    capped: set[str] = set()
    notes = []
    while True:
        free = 1.0 - sum(caps[t] for t in capped)
        rest = sum(s for t, s in shares.items() if t not in capped)
        if rest <= 0 or free <= 0:
            notes.append("every topic is capped and the caps sum below 1: shares follow the caps")
            scale = sum(caps[t] for t in capped)
            final = {t: caps[t] / scale for t in capped}
            break
        final = {t: (caps[t] if t in capped else s * free / rest) for t, s in shares.items()}
        over = {t for t, s in final.items() if t in caps and t not in capped and s > caps[t] + 1e-12}
        if not over:
            break
        capped |= over
    factors = {t: final[t] * total / present[t] for t in present}
    return factors, notes


def plan_mixture(tally: Tally, cfg: MixtureConfig) -> MixturePlan:
    """Target tokens per bucket and the rate of every cell; see the module docstring."""
    by_bucket: dict[str, dict[str, list]] = {}
    for (bucket, topic), entry in sorted(tally.cells.items()):
        by_bucket.setdefault(bucket, {})[topic] = entry
    available = {b: sum(e[1] for e in cells.values()) for b, cells in by_bucket.items()}
    documents = {b: sum(e[0] for e in cells.values()) for b, cells in by_bucket.items()}
    notes: list[str] = []

    factors: dict[str, dict[str, float]] = {}
    for bucket, cells in by_bucket.items():
        topics = {t: e[1] for t, e in cells.items()}
        if set(topics) == {""}:
            factors[bucket] = {"": 1.0}
            continue
        factors[bucket], topic_notes = topic_factors(topics, cfg.topics.weights, cfg.topics.caps)
        notes += [f"{bucket}: {note}" for note in topic_notes]

    taking = {b: w for b, w in cfg.weights.items() if w > 0 and available.get(b, 0) > 0}
    weight_sum = sum(taking.values())
    requested = {b: (taking[b] / weight_sum if b in taking else 0.0) for b in DOMAINS}
    for b, w in sorted(cfg.weights.items()):
        if w > 0 and not available.get(b):
            notes.append(f"{b}: requested {w:g} but no documents: the other weights are scaled up")
    # tokens each bucket can give at its max_repeat (its most repeated topic sets the limit)
    capacity = {b: available[b] * cfg.max_repeat[b] / max(factors[b].values(), default=1.0) for b in taking}
    targets, short = bucket_targets(requested, capacity, available, cfg)
    total = sum(targets.values())
    for b in short:
        notes.append(
            f"{b}: its {available[b]:,} tokens repeated at most {cfg.max_repeat[b]:g} times cannot reach "
            f"weight {requested[b]:.3f}"
            + (": the total shrinks so every weight holds" if cfg.keep_weights else "")
        )

    buckets: dict[str, BucketPlan] = {}
    cells: dict[Cell, CellRate] = {}
    for bucket in DOMAINS:
        if bucket not in by_bucket:
            if cfg.weights.get(bucket, 0) > 0:
                buckets[bucket] = BucketPlan(0.0, 0, 0, 0.0, 0, 0.0, cfg.max_repeat[bucket], "no documents")
            continue
        target = targets.get(bucket, 0.0)
        rate = target / available[bucket] if available[bucket] else 0.0
        expected = 0
        topic_rows = {}
        for topic, (docs, tokens, histogram) in sorted(by_bucket[bucket].items()):
            cell_rate = _cell_rate(rate * factors[bucket].get(topic, 0.0), tokens, histogram)
            cells[(bucket, topic)] = cell_rate
            expected += cell_rate.expected_tokens
            if topic:
                topic_rows[topic] = {
                    "documents": docs,
                    "tokens": tokens,
                    "factor": round(factors[bucket].get(topic, 0.0), 6),
                    "planned_tokens": cell_rate.expected_tokens,
                }
        epochs = expected / available[bucket] if available[bucket] else 0.0
        note = _bucket_note(bucket, cfg, epochs, bucket in short)
        buckets[bucket] = BucketPlan(
            requested[bucket],
            documents[bucket],
            available[bucket],
            target,
            expected,
            epochs,
            cfg.max_repeat[bucket],
            note,
            topic_rows,
        )
    return MixturePlan(cfg.seed, total, buckets, cells, notes)


def bucket_targets(
    requested: Mapping[str, float],
    capacity: Mapping[str, float],
    available: Mapping[str, int],
    cfg: MixtureConfig,
) -> tuple[dict[str, float], list[str]]:
    """Target tokens per bucket taking part, and the buckets that fall short of their weight.

    The total asked for is the budget, or else the one at which the most plentiful bucket for its weight
    is used once. A bucket whose capacity (tokens x max_repeat) is below its share of it falls short:
    with `keep_weights` the total shrinks until every share fits; otherwise the short bucket gives its
    capacity and, under a budget, the others share what it leaves (water-filling, each up to its own
    capacity); without a budget the others keep their share."""
    taking = [b for b, w in requested.items() if w > 0]
    if not taking:
        return {}, []
    natural = max(available[b] / requested[b] for b in taking)
    wanted = cfg.total_tokens if cfg.total_tokens is not None else natural
    short = [b for b in taking if capacity[b] < requested[b] * wanted * (1 - 1e-12)]
    if cfg.keep_weights:
        total = min([wanted, *(capacity[b] / requested[b] for b in taking)])
        return {b: requested[b] * total for b in taking}, short
    if cfg.total_tokens is None:
        return {b: min(requested[b] * wanted, capacity[b]) for b in taking}, short
    capped: set[str] = set()
    while True:
        room = wanted - sum(capacity[b] for b in capped)
        free = sum(requested[b] for b in taking if b not in capped)
        targets = (
            {b: capacity[b] if b in capped else requested[b] / free * room for b in taking}
            if free
            else {b: capacity[b] for b in taking}
        )
        over = {b for b in taking if b not in capped and targets[b] > capacity[b]}
        if not over:
            return targets, short
        capped |= over


def _cell_rate(rate: float, tokens: int, histogram: np.ndarray) -> CellRate:
    """Whole copies, and the draw threshold below which documents get one more: the histogram's
    cumulative tokens place it where the extra copy yields (rate - whole) * tokens."""
    whole = math.floor(rate)
    extra = (rate - whole) * tokens
    if extra <= 0 or tokens == 0:
        return CellRate(rate, whole, 0.0, whole * tokens)
    cumulative = np.cumsum(histogram)
    k = int(np.searchsorted(cumulative, extra, side="left"))
    if k >= BINS:
        return CellRate(rate, whole + 1, 0.0, (whole + 1) * tokens)
    before = int(cumulative[k - 1]) if k else 0
    inside = int(histogram[k])
    fraction = (extra - before) / inside if inside else 0.0
    threshold = (k + fraction) / BINS
    return CellRate(rate, whole, threshold, round(whole * tokens + extra))


def _bucket_note(bucket: str, cfg: MixtureConfig, epochs: float, short: bool) -> str:
    if cfg.weights.get(bucket, 0) <= 0:
        return "weight 0: left out"
    if short and cfg.keep_weights:
        return f"sets the total: repeated max_repeat {cfg.max_repeat[bucket]:g} times"
    if short:
        return f"short of its weight: repeated max_repeat {cfg.max_repeat[bucket]:g} times"
    if epochs < 1 - 1e-9:
        return "down-sampled to its weight"
    if epochs > 1 + 1e-9:
        return "repeated to reach its weight"
    return "used once: the most plentiful bucket for its weight"


def apply(doc: Document, plan: MixturePlan, cfg: MixtureConfig) -> list[Document]:
    """The document's rows in the mixture: none (sampled out), itself, or itself and its copies."""
    n = plan.copies(cell_of(doc, cfg), draw(doc.id, plan.seed))
    return [doc] + [replace(doc, id=copy_id(doc.id, k), copy_of=doc.id) for k in range(2, n + 1)] if n else []


def achieved(
    plan: MixturePlan, output_tokens: Mapping[str, int], output_rows: Mapping[str, int], applied: bool
) -> dict:
    """The manifest's mixture section: requested, planned and achieved weights per bucket, and why they
    differ. `output_tokens` / `output_rows` count what was written per bucket (copies included)."""
    summary = plan.summary()
    total = sum(output_tokens.values())
    for name, bucket in summary["buckets"].items():
        tokens = output_tokens.get(name, 0)
        bucket["achieved"] = round(tokens / total, 6) if total else 0.0
        bucket["output_tokens"] = tokens
        bucket["output_rows"] = output_rows.get(name, 0)
        if applied:
            bucket["epochs"] = round(tokens / bucket["tokens"], 4) if bucket["tokens"] else 0.0
    return {"applied": applied, **summary}
