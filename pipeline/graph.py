"""The Beam graph: read -> stages in DESIGN.md order -> shards, rejected, errors, manifest.

Per-document stages are plain Python (`filters.base.Stage`) run by `pipeline.stages.run_stage`; the
global steps (dedup, the KL reference) are Beam aggregations. Each step maps (kept) to
(kept, rejected, errors), and every rejected or broken record is collected for the sinks.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam

from classifiers.domain import DomainStage
from filters.base import Stage
from filters.kl_divergence import KLDivergence
from filters.langid import LangId
from filters.stack import build_filters, reference_builder
from filters.tokens import TextViews, make_tokenizer
from pipeline.dedup import ExactDedup, LineDedup, MinHashDedup, UrlDedup
from pipeline.extract_stage import ExtractStage
from pipeline.manifest import WriteManifest
from pipeline.pii import PiiStage
from pipeline.sinks import WriteShards
from pipeline.sources import ReadDocuments
from pipeline.stages import run_stage
from pipeline.token_stage import TokenStage
from schemas.config import Config
from schemas.document import Document, ErrorRecord


def rejecting_stage(doc: Document) -> str:
    return doc.rejected_by[0].split(".", 1)[0]


def _id_rank(doc: Document) -> bytes:
    return hashlib.blake2b(doc.id.encode(), digest_size=8).digest()


class _Graph:
    """Threads the kept documents through the steps, collecting rejected and error outputs."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.annotate = cfg.mode == "annotate"
        self.names: list[str] = []
        self.rejected: list = []
        self.errors: list = []

    def stage(self, kept, stage: Stage, side=None):
        self.names.append(stage.name)
        kept, rejected, errors = run_stage(kept, stage, self.annotate, side)
        self.rejected.append(rejected)
        self.errors.append(errors)
        return kept

    def dedup(self, kept, transform):
        self.names.append(transform.stage)
        kept, rejected = kept | transform.stage >> transform
        self.rejected.append(rejected)
        return kept

    def kl_reference(self, kept, views: TextViews):
        """The corpus unigram reference, from the `sample_docs` documents of smallest id hash."""
        kl = self.cfg.filters.kl

        def build(sample: list[Document]):
            builder = reference_builder(kl, views)
            for doc in sample:
                builder.add(doc)
            return builder.finalize(kl.smoothing)

        return beam.pvalue.AsSingleton(
            kept
            | "KLSample" >> beam.combiners.Top.Of(kl.sample_docs, key=_id_rank)
            | "KLReference" >> beam.Map(build)
        )


def build_pipeline(p: beam.Pipeline, inputs: list[str], output: str, cfg: Config) -> list[str]:
    """Adds the whole curation graph to `p`; returns the step names in order."""
    g = _Graph(cfg)
    views = TextViews(make_tokenizer(cfg.tokens.tokenizer))
    filters = build_filters(cfg.filters, views)
    langid = [f for f in filters if isinstance(f, LangId)]
    kl = [f for f in filters if isinstance(f, KLDivergence)]
    heuristics = [f for f in filters if f not in langid + kl]

    read = p | "ReadInputs" >> ReadDocuments(inputs, cfg.input)
    parts = read["records"] | "SplitRead" >> beam.Partition(lambda r, _: int(isinstance(r, ErrorRecord)), 2)
    kept = parts[0]
    g.errors.append(parts[1])

    kept = g.stage(kept, ExtractStage(cfg.extract))
    kept = g.dedup(kept, UrlDedup(cfg.dedup, g.annotate))
    for stage in langid:
        kept = g.stage(kept, stage)
    # Domain before the heuristics: their per-domain overrides spare math and code pages.
    kept = g.stage(kept, DomainStage(cfg.domain))
    kept = g.dedup(kept, ExactDedup(cfg.dedup, g.annotate))
    kept = g.dedup(kept, LineDedup(cfg.dedup, g.annotate))
    for stage in heuristics:
        kept = g.stage(kept, stage)
    for stage in kl:
        kept = g.stage(kept, stage, None if stage.reference else g.kl_reference(kept, views))
    kept = g.dedup(kept, MinHashDedup(cfg.dedup, g.annotate))
    if cfg.pii.enabled:
        kept = g.stage(kept, PiiStage(cfg.pii.to_pii_config()))
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
