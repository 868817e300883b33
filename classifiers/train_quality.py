"""`curate train-quality`: train a fastText classifier from positive and negative documents, or from the
labels `curate annotate` wrote, and report precision, recall and AUC on a held-out split.

Binary models use the labels `hq` (positive) and `lq`, which `classifiers.quality` reads by default.
From annotations, a numeric label (an educational score 0-5) becomes `hq` at or above `--threshold`
(FineWeb-Edu keeps scores >= 3); a categorical one (a domain) trains one class per value.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from classifiers.corpus import read_documents, sample
from classifiers.fasttext_model import NORMALIZATION, FastTextModel, TrainParams, train
from schemas.hashing import stable_hash

POSITIVE, NEGATIVE = "hq", "lq"


@dataclass(frozen=True)
class Example:
    id: str
    label: str
    text: str


def in_validation(doc_id: str, share: float) -> bool:
    """The deterministic held-out split: by id hash, the same on every run."""
    return stable_hash(f"valid:{doc_id}") % 10_000 < share * 10_000


def examples_from_globs(positive: Sequence[str], negative: Sequence[str], limit: int | None) -> list[Example]:
    """`hq` for every document of the positive files, `lq` for the negative ones (each side sampled to
    `limit` documents by id hash)."""
    out: list[Example] = []
    for label, patterns in ((POSITIVE, positive), (NEGATIVE, negative)):
        out += [Example(d.id, label, d.text) for d in sample(read_documents(patterns), limit)]
    return out


def examples_from_labels(path: str, field: str, threshold: float | str | None) -> list[Example]:
    """Examples from an annotations file; records whose label is missing (malformed replies) are skipped.

    `threshold`: a number (scores at or above it are hq), "median" (the upper half of the annotator's own
    scores are hq: for a small judge whose scores crowd around one value), or None (categorical labels).
    """
    records: list[tuple[str, object, str]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            value = (record.get("labels") or {}).get(field)
            if value is None:
                continue
            if threshold is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{path}:{number}: label {field!r} is {value!r}, not a number")
            records.append((str(record["id"]), value, record["text"]))
    if not records:
        raise ValueError(f"{path}: no record has a {field!r} label")
    if threshold == "median":
        threshold = statistics.median(value for _, value, _ in records)
    if threshold is None:
        return [Example(i, str(value).replace(" ", "_"), text) for i, value, text in records]
    cut = float(threshold)
    return [Example(i, POSITIVE if value >= cut else NEGATIVE, text) for i, value, text in records]


def auc(scores: Sequence[float], positives: Sequence[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties counted half); None without both classes."""
    pairs = sorted(zip(scores, positives, strict=True))
    n_pos = sum(positives)
    n_neg = len(pairs) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):  # average ranks over runs of equal scores
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        rank_sum += sum(p for _, p in pairs[i:j]) * (i + j + 1) / 2
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass
class Report:
    train: dict[str, int]
    valid: dict[str, int]
    accuracy: float | None = None
    precision: float | None = None  # binary models: of the positive label at probability 0.5
    recall: float | None = None
    auc: float | None = None

    def lines(self) -> list[str]:
        out = [f"train {sum(self.train.values())} {dict(sorted(self.train.items()))}",
               f"valid {sum(self.valid.values())} {dict(sorted(self.valid.items()))}"]
        metrics = [(k, getattr(self, k)) for k in ("accuracy", "precision", "recall", "auc")]
        out.append("  ".join(f"{k} {v:.3f}" if v is not None else f"{k} n/a" for k, v in metrics))
        return out


def evaluate(model: FastTextModel, valid: Sequence[Example], binary: bool) -> dict[str, float | None]:
    if not valid:
        return {}
    probs = model.probabilities_batch([e.text for e in valid])
    predicted = [max(p.items(), key=lambda kv: (kv[1], kv[0]))[0] for p in probs]
    metrics: dict[str, float | None] = {
        "accuracy": sum(p == e.label for p, e in zip(predicted, valid, strict=True)) / len(valid)
    }
    if binary:
        scores = [p.get(POSITIVE, 0.0) for p in probs]
        truth = [e.label == POSITIVE for e in valid]
        flagged = [s >= 0.5 for s in scores]
        hits = sum(f and t for f, t in zip(flagged, truth, strict=True))
        metrics["precision"] = hits / sum(flagged) if any(flagged) else None
        metrics["recall"] = hits / sum(truth) if any(truth) else None
        metrics["auc"] = auc(scores, truth)
    return metrics


def train_and_report(
    examples: Iterable[Example], out: str, params: TrainParams = TrainParams(), valid_share: float = 0.2
) -> Report:
    """Train on the examples outside the validation split, save the model at `out` and its metadata at
    `out + ".json"`, and measure the model on the split."""
    examples = sorted(examples, key=lambda e: e.id)  # file order must not change the model
    train_set = [e for e in examples if not in_validation(e.id, valid_share)]
    valid_set = [e for e in examples if in_validation(e.id, valid_share)]
    labels = sorted({e.label for e in examples})
    if len(labels) < 2:
        raise ValueError(f"training needs two labels at least; found {labels}")
    train(((e.label, e.text) for e in train_set), out, params)
    model = FastTextModel(out, params.max_chars)
    report = Report(dict(Counter(e.label for e in train_set)), dict(Counter(e.label for e in valid_set)),
                    **evaluate(model, valid_set, binary=labels == sorted((POSITIVE, NEGATIVE))))
    meta = {"kind": "fasttext", "labels": labels, "normalization": NORMALIZATION, "params": asdict(params),
            "valid_share": valid_share, "metrics": asdict(report)}
    with open(out + ".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2, sort_keys=True)
    return report
