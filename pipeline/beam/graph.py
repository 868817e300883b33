"""The Beam graph: read -> stages in the order of docs/design.md -> mixture -> shards, rejected, errors,
manifest.

Per-document stages are plain Python (`pipeline.stage.Stage`) run by `pipeline.beam.runner.run_stage`
and fused: no shuffle between them. Global steps are Beam aggregations over slim records: the two dedup
transforms (each one shuffle of full documents, to meet their verdicts), corpus values such as the KL
reference (a combine over a hash sample) and the mixture (`pipeline.beam.finish`). Every rejected document
is redacted like the kept ones before it is written, and every broken record is collected for errors/.

In annotate mode the global steps see only the documents no rule has flagged yet, as they would in filter
mode: flagged documents go around them. So an annotated run's verdicts are a filter run's, and
`curate tune` re-deciding its stored signals keeps what a filter run with the same thresholds keeps.
"""

from __future__ import annotations

import apache_beam as beam

from classifiers.domain import DomainRouter
from classifiers.langid import LangId
from classifiers.scorers import scoring_stages
from pipeline.beam import engine_tuning
from pipeline.beam.dedup import DocumentDedup, MinHashDedup, url_members
from pipeline.beam.finish import RunFacts, write_run
from pipeline.beam.ingest import IngestFn, staging_dir
from pipeline.beam.runner import COST, ERRORS, REJECTED, run_stage
from pipeline.beam.singletons import combined, counted
from pipeline.beam.sources import PlanReads
from pipeline.pii.stage import PiiStage
from pipeline.registry import build_filters
from pipeline.stage import CorpusBuilder, Stage
from pipeline.text import TextViews, make_tokenizer
from pipeline.tokens import TokenStage
from schemas.config import Config
from schemas.document import Document
from schemas.hashing import stable_hash


class _CorpusValue(beam.CombineFn):
    """A stage's `CorpusBuilder` as a Beam combine: add, merge in any order, finalize once."""

    def __init__(self, stage: Stage):
        self.stage = stage

    def create_accumulator(self) -> CorpusBuilder:
        return self.stage.corpus_builder()

    def add_input(self, builder: CorpusBuilder, doc: Document) -> CorpusBuilder:
        return builder.add(doc)

    def merge_accumulators(self, builders) -> CorpusBuilder:
        first, *rest = builders
        return first.merge(rest)

    def extract_output(self, builder: CorpusBuilder):
        return builder.finalize()


def _in_sample(doc: Document, total: int, sample_docs: int) -> bool:
    return total <= sample_docs or stable_hash(doc.id) < sample_docs / total * 2**64


class _Graph:
    """Threads the kept documents through the steps, collecting rejected and error outputs."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.annotate = cfg.mode == "annotate"
        self.names: list[str] = []
        self.rejected: list = []
        self.errors: list = []
        self.stats: list = []
        self.costs: list = []

    def stage(self, kept, stage: Stage):
        stage.check()
        self.names.append(stage.name)
        builder = stage.corpus_builder()
        side = None if builder is None else self.corpus_value(kept, stage, builder.sample_docs)
        kept, rejected, errors, costs = run_stage(kept, stage, self.annotate, side)
        self.rejected.append(rejected)
        self.errors.append(errors)
        self.costs.append(costs)
        return kept

    def dedup(self, kept, transform, names: tuple[str, ...], label: str):
        self.names.extend(names)
        kept, flagged = self.unflagged(kept, label)
        kept, rejected, errors, costs, *stats = kept | label >> transform
        if flagged is not None:
            kept = (kept, flagged) | f"{label}AndFlagged" >> beam.Flatten()
        self.rejected.append(rejected)
        self.errors.append(errors)
        self.costs.append(costs)
        self.stats.extend(stats)
        return kept

    def unflagged(self, docs, label: str):
        """(documents no rule has flagged, the flagged ones or None): in annotate mode a global step sees
        only what it would see in filter mode."""
        if not self.annotate:
            return docs, None
        parts = docs | f"{label}Flagged" >> beam.Partition(lambda d, _: int(bool(d.rejected_by)), 2)
        return parts[0], parts[1]

    def corpus_value(self, kept, stage: Stage, sample_docs: int):
        kept, _ = self.unflagged(kept, f"{stage.name}Corpus")
        return corpus_value(kept, stage, sample_docs)


def corpus_value(docs, stage: Stage, sample_docs: int):
    """The stage's corpus value (a singleton side input) over a hash sample of about `sample_docs`
    documents: deterministic, the same whatever the order documents arrive in, and never more than one
    accumulator a bundle. Also what `curate reference` builds from a chosen corpus."""
    name = stage.name
    sample = docs | f"{name}Sample" >> beam.Filter(
        _in_sample, total=counted(docs, f"{name}Count"), sample_docs=sample_docs
    )
    return combined(sample, f"{name}Value", _CorpusValue(stage))


def build_pipeline(
    p: beam.Pipeline, inputs: list[str], output: str, cfg: Config, resume: bool = False
) -> list[str]:
    """Adds the whole curation graph to `p`; returns the step names in order. With `resume`, read tasks
    an earlier run with the same settings finished are read from its staged outcome (`ingest`)."""
    engine_tuning.install()
    g = _Graph(cfg)
    views = TextViews(make_tokenizer(cfg.tokens.tokenizer))
    langid, domain = cfg.classifiers["langid"], cfg.classifiers["domain"]

    plan = p | "PlanReads" >> PlanReads(inputs, cfg.input)
    staging = staging_dir(output, cfg) if cfg.output.staging else None
    ingested = plan["tasks"] | "ReadExtract" >> beam.ParDo(IngestFn(cfg, staging, resume)).with_outputs(
        REJECTED, ERRORS, COST, main="kept"
    )
    g.names.append("extract")
    kept = ingested.kept
    g.rejected.append(ingested[REJECTED])
    g.errors.append(ingested[ERRORS])
    g.costs.append(ingested[COST])
    # counted where they are made: a Flatten of the documents would be written out and read back whole
    input_counts = tuple(
        out | f"CountInput{i}" >> beam.Map(lambda _: ("input", 1))
        for i, out in enumerate((kept, ingested[REJECTED], ingested[ERRORS]))
    )

    urls = kept | "UrlKeys" >> beam.FlatMap(url_members, settings=cfg.dedup)
    # Domain before language id: code and formulas blur the language score, and math and code pages
    # are judged by the rules made for them (their per-domain overrides).
    if domain.enabled:
        kept = g.stage(kept, DomainRouter(domain))
    if langid.enabled:
        kept = g.stage(kept, LangId(langid))
    dedup = DocumentDedup(urls, cfg.dedup, g.annotate)
    kept = g.dedup(kept, dedup, dedup.stages(), "Dedup")
    for stage in build_filters(cfg, views):
        kept = g.stage(kept, stage)
    if cfg.dedup.minhash.enabled:
        kept = g.dedup(kept, MinHashDedup(cfg.dedup, g.annotate), ("dedup_minhash",), "MinHash")
    for stage in scoring_stages(cfg):
        kept = g.stage(kept, stage)
    rejected = g.rejected | "RejectedBeforePii" >> beam.Flatten()
    g.rejected = []
    tokens = TokenStage(views)
    if cfg.pii.enabled:
        pii = PiiStage(cfg.pii)
        kept = g.stage(kept, pii)
        rejected = _annotated(rejected, pii, "RedactRejected", g)
    kept = g.stage(kept, tokens)
    # rejected documents are redacted and counted like kept ones: analysts read them, the funnel sums them
    rejected = _annotated(
        (rejected, *g.rejected) | "AllRejected" >> beam.Flatten(), tokens, "CountRejected", g
    )

    facts = RunFacts(
        patterns=inputs,
        stage_names=g.names,
        files=plan["files"],
        input_counts=input_counts,
        stats=g.stats,
        costs=g.costs,
    )
    write_run(output, cfg, kept, rejected, g.errors | "StageErrors" >> beam.Flatten(), facts)
    return g.names


def _annotated(rejected, stage: Stage, label: str, g: _Graph):
    """`stage` run over rejected documents: they stay rejected (rules they fail are added to their
    reasons), and a document the stage fails on becomes an error record."""
    kept, _, errors, costs = run_stage(rejected, stage, annotate=True, label=label)
    g.errors.append(errors)
    g.costs.append(costs)
    return kept
