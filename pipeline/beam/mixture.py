"""The mixture as Beam aggregations: a combine tallies tokens per (bucket, topic) over the draws, one element
turns the tally into the plan, and the plan reaches every worker as a side input that decides each
document's rows. Deterministic on any runner: integer sums, hash draws.
"""

from __future__ import annotations

from dataclasses import replace

import apache_beam as beam
from apache_beam import pvalue

from pipeline.mixture import REASON, Tally, apply, cell_of, draw, plan_mixture
from schemas.config import MixtureConfig
from schemas.document import Document

SAMPLED_OUT = "sampled_out"
WOULD = "would"


class _TallyFn(beam.CombineFn):
    def __init__(self, cfg: MixtureConfig):
        self.cfg = cfg

    def create_accumulator(self) -> Tally:
        return Tally()

    def add_input(self, tally: Tally, doc: Document) -> Tally:
        return tally.add(cell_of(doc, self.cfg), draw(doc.id, self.cfg.seed), doc.tokens)

    def merge_accumulators(self, tallies) -> Tally:
        first, *rest = tallies
        return first.merge(rest)

    def extract_output(self, tally: Tally) -> Tally:
        return tally


class _Rows(beam.DoFn):
    """Applies the plan: a document's rows (itself and its copies), or the sampled-out output. When the
    plan is not applied (annotate mode, `mixture.enabled: false`) every document passes once and the
    documents the mixture would leave out are counted on the `would` output."""

    def __init__(self, cfg: MixtureConfig, applied: bool):
        self.cfg, self.applied = cfg, applied

    def process(self, doc: Document, plan):
        if doc.rejected_by:  # flagged in annotate mode: not part of the mixture
            yield doc
            return
        if not self.applied:
            if not plan.copies(cell_of(doc, self.cfg), draw(doc.id, plan.seed)):
                yield pvalue.TaggedOutput(WOULD, doc.tokens)
            yield doc
            return
        rows = apply(doc, plan, self.cfg)
        if not rows:  # a new record: the input may be shared with the tally's branch
            yield pvalue.TaggedOutput(SAMPLED_OUT, replace(doc, rejected_by=[*doc.rejected_by, REASON]))
        yield from rows


class Mix(beam.PTransform):
    """Kept documents -> (rows, sampled-out documents, would-be sampled-out token counts, plan singleton)."""

    def __init__(self, cfg: MixtureConfig, applied: bool):
        super().__init__()
        self.cfg, self.applied = cfg, applied

    def expand(self, docs):
        cfg = self.cfg
        plan = (
            docs
            | "Passing" >> beam.Filter(lambda d: not d.rejected_by)
            | "Tally" >> beam.CombineGlobally(_TallyFn(cfg))
            | "Plan" >> beam.Map(plan_mixture, cfg)
        )
        out = docs | "Rows" >> beam.ParDo(
            _Rows(cfg, self.applied), plan=pvalue.AsSingleton(plan)
        ).with_outputs(SAMPLED_OUT, WOULD, main="rows")
        return out.rows, out[SAMPLED_OUT], out[WOULD], plan
