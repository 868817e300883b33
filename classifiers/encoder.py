"""Transformer classifiers, the accurate tier: a transformers encoder (frozen, or fine-tuned) with one small
head per annotation field, as Llama 3 trained DistilRoBERTa on Llama 2's judgements for quality, domain
and topic, and FineWeb-Edu put a regression head on frozen embeddings of Llama-3-70B's scores.

A saved classifier is a directory: `encoder/` (the encoder and its tokenizer), `heads.pt` (the heads'
weights) and `classifier.json` (format, version, tasks with their label sets, pooling, max tokens,
windows, head shape, the base model it came from and its validation metrics).

Text handling, the same in training and prediction: the raw text (the tokenizer's own normalization
only), tokenized into windows of `max_tokens` tokens (special tokens included); the first `windows` of
them are embedded (mean of the token states, L2-normalized, as sentence-transformers pools MiniLM) and
their embeddings averaged. With the default `windows: 1` a document is its first `max_tokens` tokens, as
FineWeb-Edu's classifier reads it; the rest is never tokenized beyond `max_tokens * windows * 8`
characters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

FORMAT = "pretrain-curator/encoder-classifier"
VERSION = 1
CHARS_PER_TOKEN_BOUND = 8  # characters read per token of the windows: text past it is never tokenized


@dataclass(frozen=True)
class Task:
    """One annotation field the classifier predicts."""

    name: str  # the field of the labels ("quality", "domain", "topic") and the signal's first part
    kind: Literal["regression", "classes"]
    labels: tuple[str, ...] = ()  # classes, in head order


@dataclass
class Spec:
    """What classifier.json holds besides the weights."""

    tasks: list[Task]
    max_tokens: int = 512
    windows: int = 1
    head: Literal["linear", "mlp"] = "linear"
    hidden: int = 256  # MLP head width
    base: str = ""
    fine_tuned: bool = False
    metrics: dict = field(default_factory=dict)

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "pooling": "mean, L2-normalized",
            "normalization": "none (the tokenizer's own)",
            **asdict(self),
        }
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Spec:
        data = json.loads(text)
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"not a {FORMAT} v{VERSION} directory (format={data.get('format')!r})")
        tasks = [Task(t["name"], t["kind"], tuple(t["labels"])) for t in data["tasks"]]
        keys = ("max_tokens", "windows", "head", "hidden", "base", "fine_tuned", "metrics")
        return cls(tasks, **{k: data[k] for k in keys})


def build_heads(dim: int, spec: Spec):
    """The heads: the embedding standardized per dimension (mean and spread of the training embeddings,
    saved with the weights: sentence embeddings share a large common direction that would otherwise
    swamp a linear head), then one linear layer (or a one-hidden-layer MLP) per task."""
    import torch

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.zeros(dim))
            self.register_buffer("scale", torch.ones(dim))
            self.tasks = torch.nn.ModuleDict(
                {t.name: head(1 if t.kind == "regression" else len(t.labels)) for t in spec.tasks}
            )

        def fit_scaler(self, vectors: torch.Tensor) -> None:
            self.mean.copy_(vectors.mean(0))
            self.scale.copy_(vectors.std(0).clamp(min=1e-6) if len(vectors) > 1 else torch.ones(dim))

        def forward(self, vectors: torch.Tensor) -> dict[str, torch.Tensor]:
            standard = (vectors - self.mean) / self.scale
            return {name: layer(standard) for name, layer in self.tasks.items()}

    def head(outputs: int) -> torch.nn.Module:
        if spec.head == "linear":
            return torch.nn.Linear(dim, outputs)
        return torch.nn.Sequential(
            torch.nn.Linear(dim, spec.hidden),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.1),
            torch.nn.Linear(spec.hidden, outputs),
        )

    return Heads()


def pick_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class Encoder:
    """A transformers encoder and its tokenizer; embeds texts in length-sorted batches."""

    def __init__(
        self,
        directory: str,
        max_tokens: int = 512,
        windows: int = 1,
        device: str = "auto",
        threads: int | None = None,
    ):
        import torch
        from transformers import AutoModel, AutoTokenizer

        if not Path(directory).is_dir():
            raise FileNotFoundError(f"encoder directory not found: {directory}")
        self.device = pick_device(device)
        if threads and self.device == "cpu":
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(directory)
        # bf16 on a GPU (half the memory and time, scores within rounding); float32 on CPU
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        self.model = AutoModel.from_pretrained(directory, dtype=dtype).to(self.device)
        self.model.eval()
        self.max_tokens = min(
            max_tokens,
            self.tokenizer.model_max_length or max_tokens,
            getattr(self.model.config, "max_position_embeddings", max_tokens),
        )
        self.windows = windows
        self.dim = self.model.config.hidden_size
        self._torch = torch

    def windowed(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids of each window and the index of the text it belongs to."""
        limit = self.max_tokens * self.windows * CHARS_PER_TOKEN_BOUND
        encoded = self.tokenizer(
            [t[:limit] for t in texts],
            truncation=True,
            max_length=self.max_tokens,
            return_overflowing_tokens=True,
            padding=False,
        )
        owners = encoded.get("overflow_to_sample_mapping", list(range(len(texts))))
        ids, kept_owners, seen = [], [], [0] * len(texts)
        for window, owner in zip(encoded["input_ids"], owners, strict=True):
            if seen[owner] < self.windows:
                seen[owner] += 1
                ids.append(window)
                kept_owners.append(owner)
        return ids, kept_owners

    def pooled(self, ids: list[list[int]], grad: bool = False):
        """Mean-pooled, L2-normalized embeddings of padded windows (one forward pass)."""
        torch = self._torch
        pad = self.tokenizer.pad_token_id or 0
        width = max(map(len, ids))
        input_ids = torch.tensor([w + [pad] * (width - len(w)) for w in ids], device=self.device)
        mask = torch.tensor([[1] * len(w) + [0] * (width - len(w)) for w in ids], device=self.device)
        with torch.set_grad_enabled(grad):
            states = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state.float()
            summed = (states * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            return torch.nn.functional.normalize(summed, dim=-1)

    def embed(self, texts: Sequence[str], batch_size: int = 16):
        """One embedding per text (the mean over its windows), computed in batches of similar length."""
        torch = self._torch
        ids, owners = self.windowed(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        window_vectors = torch.zeros(len(ids), self.dim)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                window_vectors[chunk] = self.pooled([ids[i] for i in chunk]).cpu()
        out = torch.zeros(len(texts), self.dim)
        counts = torch.zeros(len(texts), 1)
        index = torch.tensor(owners)
        out.index_add_(0, index, window_vectors)
        counts.index_add_(0, index, torch.ones(len(ids), 1))
        return out / counts.clamp(min=1)


class EncoderClassifier:
    """A saved classifier loaded for prediction: `predict` gives, per text, its signals by task."""

    def __init__(
        self, directory: str, device: str = "auto", threads: int | None = None, windows: int | None = None
    ):
        import torch

        path = Path(directory)
        if not (path / "classifier.json").is_file():
            raise FileNotFoundError(
                f"{directory}: no classifier.json (train one with `curate train-classifier`)"
            )
        self.spec = Spec.from_json((path / "classifier.json").read_text())
        self.encoder = Encoder(
            str(path / "encoder"), self.spec.max_tokens, windows or self.spec.windows, device, threads
        )
        self.heads = build_heads(self.encoder.dim, self.spec)
        self.heads.load_state_dict(torch.load(path / "heads.pt", map_location="cpu", weights_only=True))
        self.heads.eval()
        self._torch = torch

    def predict(
        self, texts: Sequence[str], batch_size: int = 16
    ) -> list[dict[str, dict[str, float] | float]]:
        """Per text: {task: score} for regression tasks, {task: {label: probability}} for class tasks."""
        torch = self._torch
        with torch.inference_mode():
            vectors = self.encoder.embed(texts, batch_size)
            outputs = self.heads(vectors)
        rows: list[dict] = [{} for _ in texts]
        for task in self.spec.tasks:
            values = outputs[task.name]
            if task.kind == "regression":
                for row, value in zip(rows, values[:, 0].tolist(), strict=True):
                    row[task.name] = value
            else:
                for row, probs in zip(rows, torch.softmax(values, -1).tolist(), strict=True):
                    row[task.name] = dict(zip(task.labels, probs, strict=True))
        return rows
