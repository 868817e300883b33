"""`curate train-classifier`: train the transformer tier on labels from `curate annotate`.

Frozen mode (the default, FineWeb-Edu's recipe): embed every document once with the base encoder, then fit
the heads on the embeddings (Adam, full batch, fixed seed). `fine_tune`: train encoder and heads together
(AdamW, mini-batches), as Llama 3 fine-tuned DistilRoBERTa. Numeric fields (quality and edu scores) get a
regression head, others (domain, topic) a softmax head over the values seen. The validation split is the
one `train-quality` uses (by id hash), so the two tiers are measured on the same documents.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers.encoder import Encoder, Spec, Task, build_heads
from classifiers.train_quality import auc, in_validation


@dataclass(frozen=True)
class Labeled:
    id: str
    text: str
    labels: dict  # field -> value


@dataclass(frozen=True)
class TrainSettings:
    fields: tuple[str, ...] = ()  # empty: every field the labels hold
    head: str = "linear"
    fine_tune: bool = False
    epochs: int | None = None  # None: 300 for frozen heads, 3 for fine-tuning
    lr: float | None = None  # None: 1e-2 for frozen heads, 3e-5 for fine-tuning
    max_tokens: int = 512
    windows: int = 1
    batch_size: int = 16
    valid_share: float = 0.2
    threshold: float = 3.0  # scores at or above it are the positive class in the binary agreement figures
    seed: int = 0
    threads: int | None = None


def read_labels(path: str) -> list[Labeled]:
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                out.append(Labeled(str(record["id"]), record["text"], dict(record.get("labels") or {})))
    if not out:
        raise ValueError(f"{path}: no records")
    return sorted(out, key=lambda r: r.id)  # file order must not change the model


def infer_tasks(records: Sequence[Labeled], fields: Sequence[str]) -> list[Task]:
    """A regression task for numeric fields, a class task (labels sorted) for the others."""
    present = sorted({f for r in records for f in r.labels})
    chosen = list(fields) or present
    tasks = []
    for name in chosen:
        values = [r.labels[name] for r in records if r.labels.get(name) is not None]
        if not values:
            raise ValueError(f"no record has a {name!r} label; labels hold {present}")
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            tasks.append(Task(name, "regression"))
        else:
            labels = tuple(sorted({str(v) for v in values}))
            if len(labels) < 2:
                raise ValueError(f"{name!r}: one class only ({labels[0]!r}); nothing to learn")
            tasks.append(Task(name, "classes", labels))
    return tasks


def _targets(records: Sequence[Labeled], task: Task):
    """(indices of records labeled for the task, target tensor)."""
    import torch

    rows = [i for i, r in enumerate(records) if r.labels.get(task.name) is not None]
    if task.kind == "regression":
        return rows, torch.tensor([float(records[i].labels[task.name]) for i in rows])
    index = {label: k for k, label in enumerate(task.labels)}
    return rows, torch.tensor([index.get(str(records[i].labels[task.name]), -100) for i in rows])


def _labelled(outputs, records, tasks):
    """(task, its outputs on the records that carry its label, their targets) for each labelled task."""
    for task in tasks:
        rows, target = _targets(records, task)
        if rows:
            yield task, outputs[task.name][rows], target


def _loss(heads, vectors, records, tasks):
    import torch

    total = 0.0
    for task, out, target in _labelled(heads(vectors), records, tasks):
        if task.kind == "regression":
            total = total + torch.nn.functional.mse_loss(out[:, 0], target.to(out.device))
        else:
            total = total + torch.nn.functional.cross_entropy(out, target.to(out.device), ignore_index=-100)
    return total


def train_classifier(
    labels_path: str, base: str, out: str, settings: TrainSettings = TrainSettings()
) -> Spec:
    """Train, measure on the held-out split, save at `out`; returns the saved spec (metrics included)."""
    import torch

    torch.manual_seed(settings.seed)
    records = read_labels(labels_path)
    tasks = infer_tasks(records, settings.fields)
    train_set = [r for r in records if not in_validation(r.id, settings.valid_share)]
    valid_set = [r for r in records if in_validation(r.id, settings.valid_share)]
    encoder = Encoder(base, settings.max_tokens, settings.windows, threads=settings.threads)
    spec = Spec(
        tasks,
        encoder.max_tokens,
        settings.windows,
        settings.head,
        base=str(base),
        fine_tuned=settings.fine_tune,
    )
    heads = build_heads(encoder.dim, spec).to(encoder.device)
    if settings.fine_tune:
        _fine_tune(encoder, heads, train_set, tasks, settings)
    else:
        _fit_heads(encoder, heads, train_set, tasks, settings)
    heads.eval()
    encoder.model.eval()
    spec.metrics = {
        "train": len(train_set),
        "valid": len(valid_set),
        **evaluate(encoder, heads, valid_set, tasks, settings),
    }
    _save(out, encoder, heads, spec)
    return spec


def _start(heads, vectors, records, tasks) -> None:
    """Standardize on the training embeddings; regression outputs start at the mean score, so the steps
    go to the direction rather than to the offset."""
    import torch

    heads.fit_scaler(vectors)
    for task in tasks:
        rows, target = _targets(records, task)
        if task.kind == "regression" and rows:
            layer = heads.tasks[task.name]
            last = layer[-1] if isinstance(layer, torch.nn.Sequential) else layer
            last.bias.data.fill_(float(target.mean()))


def _fit_heads(encoder: Encoder, heads, records, tasks, settings: TrainSettings) -> None:
    import torch

    vectors = encoder.embed([r.text for r in records], settings.batch_size).to(encoder.device)
    _start(heads, vectors, records, tasks)
    optimizer = torch.optim.Adam(heads.parameters(), lr=settings.lr or 1e-2, weight_decay=1e-4)
    heads.train()
    for _ in range(settings.epochs or 300):
        optimizer.zero_grad()
        loss = _loss(heads, vectors, records, tasks)
        loss.backward()
        optimizer.step()


def _fine_tune(encoder: Encoder, heads, records, tasks, settings: TrainSettings) -> None:
    import torch

    vectors = encoder.embed([r.text for r in records], settings.batch_size).to(encoder.device)
    _start(heads, vectors, records, tasks)
    params = list(encoder.model.parameters()) + list(heads.parameters())
    optimizer = torch.optim.AdamW(params, lr=settings.lr or 3e-5, weight_decay=0.01)
    generator = torch.Generator().manual_seed(settings.seed)
    encoder.model.train()
    heads.train()
    for _ in range(settings.epochs or 3):
        order = torch.randperm(len(records), generator=generator).tolist()
        for start in range(0, len(order), settings.batch_size):
            batch = [records[i] for i in order[start : start + settings.batch_size]]
            ids, owners = encoder.windowed([r.text for r in batch])
            first = [ids[owners.index(k)] for k in range(len(batch))]  # the first window of each
            optimizer.zero_grad()
            loss = _loss(heads, encoder.pooled(first, grad=True), batch, tasks)
            loss.backward()
            optimizer.step()


def evaluate(encoder: Encoder, heads, records, tasks, settings: TrainSettings) -> dict:
    """Held-out figures per task. Regression: RMSE, Pearson r, exact agreement of the rounded score, and the
    binary (score >= threshold) accuracy and AUC; classes: accuracy and macro-F1."""
    import torch

    if not records:
        return {}
    with torch.inference_mode():
        vectors = encoder.embed([r.text for r in records], settings.batch_size).to(encoder.device)
        outputs = {name: out.float().cpu() for name, out in heads(vectors).items()}
    metrics = {}
    for task, out, target in _labelled(outputs, records, tasks):
        if task.kind == "regression":
            metrics[task.name] = regression_metrics(out[:, 0].tolist(), target.tolist(), settings.threshold)
        else:
            metrics[task.name] = class_metrics(out.argmax(-1).tolist(), target.tolist(), task.labels)
    return metrics


def regression_metrics(predicted: Sequence[float], truth: Sequence[float], threshold: float) -> dict:
    n = len(truth)
    rmse = math.sqrt(sum((p - t) ** 2 for p, t in zip(predicted, truth, strict=True)) / n)
    positives = [t >= threshold for t in truth]
    return {
        "n": n,
        "rmse": rmse,
        "pearson": pearson(predicted, truth),
        "agreement": sum(round(p) == round(t) for p, t in zip(predicted, truth, strict=True)) / n,
        "binary_accuracy": sum((p >= threshold) == t for p, t in zip(predicted, positives, strict=True)) / n,
        "auc": auc(predicted, positives),
    }


def class_metrics(predicted: Sequence[int], truth: Sequence[int], labels: Sequence[str]) -> dict:
    n = len(truth)
    f1s = []
    for c in range(len(labels)):
        tp = sum(p == c and t == c for p, t in zip(predicted, truth, strict=True))
        fp = sum(p == c and t != c for p, t in zip(predicted, truth, strict=True))
        fn = sum(p != c and t == c for p, t in zip(predicted, truth, strict=True))
        if tp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return {
        "n": n,
        "accuracy": sum(p == t for p, t in zip(predicted, truth, strict=True)) / n,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "labels": {labels[t]: k for t, k in sorted(Counter(truth).items()) if t >= 0},
    }


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


def _save(out: str, encoder: Encoder, heads, spec: Spec) -> None:
    import torch

    path = Path(out)
    if (path / "encoder").exists():
        shutil.rmtree(path / "encoder")
    path.mkdir(parents=True, exist_ok=True)
    encoder.model.save_pretrained(path / "encoder")
    encoder.tokenizer.save_pretrained(path / "encoder")
    torch.save({k: v.cpu() for k, v in heads.state_dict().items()}, path / "heads.pt")
    (path / "classifier.json").write_text(spec.to_json() + "\n")
