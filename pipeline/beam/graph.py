"""The Beam graph: read -> stages in DESIGN.md order -> shards, rejected, errors, manifest.

Per-document stages are plain Python (`pipeline.stage.Stage`) run by `pipeline.beam.runner.run_stage`;
the global steps (dedup, corpus values such as the KL reference) are Beam aggregations. Each step maps
(kept) to (kept, rejected, errors), and every rejected or broken record is collected for the sinks.
"""

from __future__ import annotations

import apache_beam as beam

from classifiers.domain import DomainRouter
from classifiers.langid import LangId
from classifiers.scorers import scoring_stages
from pipeline.beam.dedup import ExactDedup, LineDedup, MinHashDedup, UrlDedup
from pipeline.beam.manifest import WriteManifest
from pipeline.beam.runner import run_stage
from pipeline.beam.sinks import WriteShards
from pipeline.beam.sources import ReadDocuments
from pipeline.extract.stage import ExtractStage
from pipeline.pii.stage import PiiStage
from pipeline.registry import build_filters
from pipeline.stage import CorpusBuilder, Stage
from pipeline.text import TextViews, make_tokenizer
from pipeline.tokens import TokenStage
from schemas.config import Config
from schemas.document import Document, ErrorRecord
from schemas.hashing import stable_hash


def rejecting_stage(doc: Document) -> str:
    return doc.rejected_by[0].split(".", 1)[0]


def _id_rank(doc: Document) -> int:
    return stable_hash(doc.id)


class _Graph:
    """Threads the kept documents through the steps, collecting rejected and error outputs."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.annotate = cfg.mode == "annotate"
        self.names: list[str] = []
        self.rejected: list = []
        self.errors: list = []

    def stage(self, kept, stage: Stage):
        self.names.append(stage.name)
        builder = stage.corpus_builder()
        side = None if builder is None else self.corpus_value(kept, stage.name, builder)
        kept, rejected, errors = run_stage(kept, stage, self.annotate, side)
        self.rejected.append(rejected)
        self.errors.append(errors)
        return kept

    def dedup(self, kept, transform):
        self.names.append(transform.stage)
        kept, rejected = kept | transform.stage >> transform
        self.rejected.append(rejected)
        return kept

    def corpus_value(self, kept, name: str, builder: CorpusBuilder):
        """What `builder` accumulates over the `sample_docs` documents of greatest id hash."""

        def build(sample: list[Document]):
            for doc in sample:
                builder.add(doc)
            return builder.finalize()

        return beam.pvalue.AsSingleton(
            kept
            | f"{name}Sample" >> beam.combiners.Top.Of(builder.sample_docs, key=_id_rank)
            | f"{name}Value" >> beam.Map(build)
        )


def build_pipeline(p: beam.Pipeline, inputs: list[str], output: str, cfg: Config) -> list[str]:
    """Adds the whole curation graph to `p`; returns the step names in order."""
    g = _Graph(cfg)
    views = TextViews(make_tokenizer(cfg.tokens.tokenizer))
    langid, domain = cfg.classifiers["langid"], cfg.classifiers["domain"]

    read = p | "ReadInputs" >> ReadDocuments(inputs, cfg.input)
    parts = read["records"] | "SplitRead" >> beam.Partition(lambda r, _: int(isinstance(r, ErrorRecord)), 2)
    kept = parts[0]
    g.errors.append(parts[1])

    kept = g.stage(kept, ExtractStage(cfg.extract))
    kept = g.dedup(kept, UrlDedup(cfg.dedup, g.annotate))
    # Domain first, so that language id's and the heuristics' per-domain rules apply to math and code.
    if domain.enabled:
        kept = g.stage(kept, DomainRouter(domain))
    if langid.enabled:
        kept = g.stage(kept, LangId(langid))
    kept = g.dedup(kept, ExactDedup(cfg.dedup, g.annotate))
    kept = g.dedup(kept, LineDedup(cfg.dedup, g.annotate))
    for stage in build_filters(cfg, views):
        kept = g.stage(kept, stage)
    kept = g.dedup(kept, MinHashDedup(cfg.dedup, g.annotate))
    for stage in scoring_stages(cfg):
        kept = g.stage(kept, stage)
    if cfg.pii.enabled:
        kept = g.stage(kept, PiiStage(cfg.pii))
    kept = g.stage(kept, TokenStage(views))

    all_rejected = g.rejected | "AllRejected" >> beam.Flatten()
    all_errors = g.errors | "AllErrors" >> beam.Flatten()
    infos = [
        kept | "WriteShards" >> WriteShards(output, "shards", lambda d: d.domain or "general", cfg.output),
        all_rejected | "WriteRejected" >> WriteShards(output, "rejected", rejecting_stage, cfg.output),
        all_errors | "WriteErrors" >> WriteShards(output, "errors", lambda e: None, cfg.output),
    ]
    counts = (
        (
            read["records"] | "CountInput" >> beam.Map(lambda r: ("input", 1)),
            (kept, all_rejected)
            | "Decided" >> beam.Flatten()
            | "Reasons" >> beam.FlatMap(lambda d: [(f"reason:{r}", 1) for r in d.rejected_by]),
            all_errors | "ErrorStages" >> beam.Map(lambda e: (f"errors:{e.stage}", 1)),
            kept | "PiiCounts" >> beam.FlatMap(lambda d: [(f"pii:{k}", n) for k, n in d.pii.items()]),
        )
        | "CountKeys" >> beam.Flatten()
        | "Count" >> beam.CombinePerKey(sum)
    )
    _ = p | "Manifest" >> WriteManifest(
        output, cfg, inputs, g.names,
        files=read["files"], infos=infos | "AllInfos" >> beam.Flatten(), counts=counts,
    )
    return g.names
