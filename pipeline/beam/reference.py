"""`curate reference --input GLOB... --out ref.json`: the KL filter's reference distribution built from a
chosen corpus (a clean dump, an earlier run's shards) instead of from a sample of the run itself.

The same Beam steps as in a run: inputs read (and HTML extracted) by `PlanReads` and `IngestFn`, then the
KL stage's `ReferenceBuilder` combined over a hash sample of `filters.kl.sample_docs` documents
(`pipeline.beam.graph.corpus_value`), so a reference built here equals the one a run would build from the
same documents. A run uses it with `--set filters.kl.reference=ref.json`.
"""

from __future__ import annotations

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from filters.kl_divergence import KLDivergence, UnigramReference
from pipeline.beam.cli import add_set_option
from pipeline.beam.graph import corpus_value
from pipeline.beam.ingest import IngestFn
from pipeline.beam.launch import UsageError, list_inputs
from pipeline.beam.progress import Monitor
from pipeline.beam.runner import ERRORS, REJECTED
from pipeline.beam.sources import PlanReads
from pipeline.registry import load_config
from pipeline.text import TextViews, make_tokenizer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", nargs="+", required=True, metavar="GLOB", help="the reference corpus")
    parser.add_argument("--out", required=True, metavar="FILE", help="where to write the reference (JSON)")
    parser.add_argument("--sample", type=int, metavar="N", help="documents to read (filters.kl.sample_docs)")
    parser.add_argument("--config", metavar="FILE", help="the run's config: its tokenizer and KL settings")
    add_set_option(parser, "override a config key, e.g. filters.kl.sample_docs=20000 (repeatable)")


def run(args, beam_flags: list[str]) -> int:
    overrides = [*args.overrides, "filters.kl.reference=null"]
    if args.sample is not None:
        overrides.append(f"filters.kl.sample_docs={args.sample}")
    cfg = load_config(args.config, overrides)
    total_bytes = list_inputs(args.input)
    stage = KLDivergence(cfg.filters["kl"], TextViews(make_tokenizer(cfg.tokens.tokenizer)))
    out = args.out
    try:
        pipeline = beam.Pipeline(options=PipelineOptions(beam_flags))
    except ValueError as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    with Monitor(total_bytes=total_bytes), pipeline as p:
        tasks = (p | "PlanReads" >> PlanReads(args.input, cfg.input))["tasks"]
        docs = (
            tasks
            | "ReadExtract"
            >> beam.ParDo(IngestFn(cfg, None, False)).with_outputs(REJECTED, ERRORS, main="kept")
        ).kept
        reference = corpus_value(docs, stage, cfg.filters["kl"].sample_docs)
        save = beam.Map(lambda _, ref: ref.save(out), ref=reference)
        _ = p | "Once" >> beam.Create([None]) | "Save" >> save
    saved = UnigramReference.load(out)
    print(
        f"wrote {out}: {len(saved.counts):,} tokens in the vocabulary ({sum(saved.counts.values()):,} "
        f"occurrences), {len(saved.calibration_scores):,} calibration documents, tokenizer {saved.tokenizer}"
    )
    return 0
