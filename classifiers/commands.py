"""The classifier subcommands of `curate`: annotate (an LLM labels a sample), train-quality (fastText from
labels or positive/negative files), train-classifier (a transformer encoder with heads, from labels).
pipeline/beam/cli.py registers them and hands the parsed arguments to `run_command`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

COMMANDS = ("annotate", "train-quality", "train-classifier")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add the classifier subcommands to `curate`'s subparsers."""
    annotate = sub.add_parser("annotate", help="label a deterministic sample of documents with an LLM")
    annotate.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="GLOB",
        help="documents: Parquet shards of a run, JSONL with a text field, text files",
    )
    annotate.add_argument(
        "--sample", type=int, metavar="N", help="the N documents of smallest id hash (default: all)"
    )
    annotate.add_argument("--out", required=True, metavar="LABELS.jsonl")
    annotate.add_argument(
        "--prompt",
        action="append",
        metavar="NAME",
        dest="prompts",
        help="built-in prompt (edu, quality, domain, topic; name.vN for a version) or a "
        "YAML file; repeatable (default: edu)",
    )
    annotate.add_argument("--backend", choices=("local", "server"), required=True)
    annotate.add_argument(
        "--model",
        required=True,
        help="local: a transformers model directory; server: the model name to request",
    )
    annotate.add_argument("--gguf-file", help="local: the GGUF file in the model directory (found if alone)")
    annotate.add_argument(
        "--url", help="server: base URL of an OpenAI-compatible server, e.g. http://host:8000"
    )
    annotate.add_argument(
        "--mode",
        choices=("generate", "choices"),
        help="generate: decode a reply and read it; choices: the model's probabilities of "
        "the answers (local backend; default there)",
    )
    annotate.add_argument("--cache", metavar="FILE", help="reply cache (SQLite; default: LABELS.jsonl.cache)")
    annotate.add_argument("--max-chars", type=int, default=None, help="characters of a document shown (3000)")
    annotate.add_argument("--batch-size", type=int, default=8, help="local: conversations per forward pass")
    annotate.add_argument("--threads", type=int, default=None, help="local on CPU: torch threads")
    annotate.add_argument("--concurrency", type=int, default=4, help="server: requests in flight")
    annotate.add_argument("--timeout", type=float, default=60.0, help="server: seconds per request")
    annotate.add_argument("--retries", type=int, default=3, help="server: retries per request")

    train = sub.add_parser("train-quality", help="train a fastText quality (or domain) classifier")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--positive", nargs="+", metavar="GLOB", help="documents of the positive class (hq)")
    source.add_argument("--labels", metavar="LABELS.jsonl", help="annotations from `curate annotate`")
    train.add_argument("--negative", nargs="+", metavar="GLOB", help="documents of the negative class (lq)")
    train.add_argument("--label-field", default="edu", help="--labels: the annotation to learn (edu)")
    train.add_argument(
        "--threshold",
        help="--labels: a score at or above this is hq (default 3 for edu and quality, as "
        "FineWeb-Edu), or 'median'; omit for a categorical label such as domain",
    )
    train.add_argument("--limit", type=int, help="--positive/--negative: documents per side (by id hash)")
    train.add_argument("--out", required=True, metavar="MODEL.bin")
    train.add_argument("--valid-share", type=float, default=0.2)
    train.add_argument("--epoch", type=int, default=20)
    train.add_argument("--lr", type=float, default=0.5)
    train.add_argument("--dim", type=int, default=64)
    train.add_argument("--word-ngrams", type=int, default=2)
    train.add_argument("--min-count", type=int, default=2)
    train.add_argument("--max-chars", type=int, default=None, help="characters read per document (5000)")

    tier = sub.add_parser("train-classifier", help="train a transformer classifier (quality, domain, topic)")
    tier.add_argument(
        "--labels", required=True, metavar="LABELS.jsonl", help="annotations from `curate annotate`"
    )
    tier.add_argument("--base", required=True, metavar="MODEL_DIR", help="a transformers encoder directory")
    tier.add_argument("--out", required=True, metavar="DIR")
    tier.add_argument(
        "--field",
        action="append",
        dest="fields",
        metavar="NAME",
        help="annotation field to learn, repeatable (default: every field in the labels)",
    )
    tier.add_argument("--head", choices=("linear", "mlp"), default="linear")
    tier.add_argument("--fine-tune", action="store_true", help="train the encoder too (default: frozen)")
    tier.add_argument("--epochs", type=int, help="default 300 (frozen heads) or 3 (fine-tuning)")
    tier.add_argument("--lr", type=float, help="default 1e-2 (frozen heads) or 3e-5 (fine-tuning)")
    tier.add_argument("--max-tokens", type=int, default=512)
    tier.add_argument("--windows", type=int, default=1, help="windows of max-tokens averaged per document")
    tier.add_argument("--batch-size", type=int, default=16)
    tier.add_argument("--valid-share", type=float, default=0.2)
    tier.add_argument(
        "--threshold", type=float, default=3.0, help="score of the positive class in the metrics"
    )
    tier.add_argument("--threads", type=int, help="CPU threads for torch")


def run_command(args: argparse.Namespace) -> int:
    commands = {"annotate": _annotate, "train-quality": _train_quality, "train-classifier": _train_classifier}
    try:
        return commands[args.command](args)
    except (ValueError, OSError) as exc:  # bad input files, labels or model paths: one clear line
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _annotate(args) -> int:
    from classifiers.annotate import DEFAULT_MAX_CHARS, Annotator, ReplyCache, run
    from classifiers.corpus import read_documents, sample
    from classifiers.prompts import load_prompt

    prompts = [load_prompt(p) for p in (args.prompts or ["edu"])]
    docs = sample(read_documents(args.input), args.sample)
    if args.backend == "server" and not args.url:
        print("error: --backend server needs --url", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cache = ReplyCache(args.cache or args.out + ".cache")  # before the model loads: fail fast
    if args.backend == "server":
        from classifiers.llm import ServerBackend

        backend = ServerBackend(
            args.url,
            args.model,
            args.concurrency,
            args.timeout,
            args.retries,
            api_key=os.environ.get("OPENAI_API_KEY"),
        )
    else:
        from classifiers.llm import LocalBackend

        _quiet_transformers()
        backend = LocalBackend(args.model, args.gguf_file, args.batch_size, args.threads)
    annotator = Annotator(backend, prompts, cache, args.max_chars or DEFAULT_MAX_CHARS, args.mode)
    try:
        for line in run(annotator, docs, args.out):
            print(line, flush=True)
    finally:
        cache.close()
    print(f"wrote {len(docs)} records to {args.out}")
    return 0


def _train_quality(args) -> int:
    from classifiers.fasttext_model import DEFAULT_MAX_CHARS, TrainParams
    from classifiers.train_quality import examples_from_globs, examples_from_labels, train_and_report

    params = TrainParams(
        epoch=args.epoch,
        lr=args.lr,
        dim=args.dim,
        word_ngrams=args.word_ngrams,
        min_count=args.min_count,
        max_chars=args.max_chars or DEFAULT_MAX_CHARS,
    )
    if args.labels:
        threshold = args.threshold
        if threshold is None and args.label_field in ("edu", "quality"):
            threshold = 3.0  # FineWeb-Edu: educational score >= 3 is the positive class
        elif threshold not in (None, "median"):
            threshold = float(threshold)
        examples = examples_from_labels(args.labels, args.label_field, threshold)
    else:
        if not args.negative:
            print("error: --positive needs --negative", file=sys.stderr)
            return 2
        examples = examples_from_globs(args.positive, args.negative, args.limit)
    report = train_and_report(examples, args.out, params, args.valid_share)
    for line in report.lines():
        print(line)
    print(f"wrote {args.out} (and {args.out}.json)")
    return 0


def _quiet_transformers() -> None:
    """No progress bars from transformers' loading and saving: the commands print their own progress."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def _train_classifier(args) -> int:
    from classifiers.train_classifier import TrainSettings, train_classifier

    _quiet_transformers()
    settings = TrainSettings(
        fields=tuple(args.fields or ()),
        head=args.head,
        fine_tune=args.fine_tune,
        epochs=args.epochs,
        lr=args.lr,
        max_tokens=args.max_tokens,
        windows=args.windows,
        batch_size=args.batch_size,
        valid_share=args.valid_share,
        threshold=args.threshold,
        threads=args.threads,
    )
    spec = train_classifier(args.labels, args.base, args.out, settings)
    metrics = dict(spec.metrics)
    print(f"train {metrics.pop('train')}  valid {metrics.pop('valid')}")
    for task, figures in metrics.items():
        shown = "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        print(f"{task}: {shown}")
    print(f"wrote {args.out} (encoder/, heads.pt, classifier.json)")
    return 0
