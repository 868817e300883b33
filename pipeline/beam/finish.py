"""The end of a run: the bounds on rejected rows, the mixture, the sinks, the counts and the manifest.

Shared by `curate run` (graph.py) and `curate tune --write`, so that a re-decided run is written exactly
as a run with those thresholds would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import apache_beam as beam

from pipeline.beam.manifest import WriteManifest
from pipeline.beam.mixture import Mix
from pipeline.beam.sinks import WriteShards, writable
from pipeline.mixture import REASON, bucket_of
from pipeline.rules import RuleBook
from schemas.config import Config
from schemas.document import Document

MIXTURE = "mixture"


def rejecting_stage(doc: Document) -> str:
    return doc.rejected_by[0].split(".", 1)[0]


def decided_counts(doc: Document):
    """Count keys of one document (not a copy): kept, or its first reason and every reason it fails."""
    if not doc.rejected_by:
        return [("kept", 1), ("kept_tokens", doc.tokens)]
    first = doc.rejected_by[0]
    keys = [(f"first:{first}", 1), (f"first_tokens:{first}", doc.tokens)]
    return keys + [(f"all:{reason}", 1) for reason in dict.fromkeys(doc.rejected_by)]


def row_counts(doc: Document):
    """Count keys of one row of the shards that is part of the mixture (copies included)."""
    if doc.rejected_by:  # flagged in annotate mode
        return []
    bucket = bucket_of(doc)
    keys = [(f"rows:{bucket}", 1), (f"row_tokens:{bucket}", doc.tokens)]
    if doc.copy_of is not None:
        return keys + [("copies", 1)]
    return keys + [(f"pii:{kind}", n) for kind, n in doc.pii.items()]


def _cost_keys(step: str, cpu_us: int, wall_us: int):
    """Count keys of one bundle's time in a step (summed into the manifest's `cost`)."""
    return [(f"cpu_us:{step}", cpu_us), (f"wall_us:{step}", wall_us)]


def _would_counts(tokens: int):
    """Count keys of a document the mixture would leave out (annotate mode: it stays in the shards)."""
    return [(f"first:{REASON}", 1), (f"first_tokens:{REASON}", tokens), (f"all:{REASON}", 1)]


class _Bounds(beam.DoFn):
    """Sets each rejected (or flagged) document's `bounds`: the thresholds it failed, as they applied."""

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def setup(self):
        self.book = RuleBook(self.cfg)

    def process(self, doc: Document):
        if doc.rejected_by:
            doc.bounds = self.book.bounds(doc)
        yield doc


@dataclass
class RunFacts:
    """What the manifest says about a run besides its outputs."""

    patterns: list[str]
    stage_names: list[str]
    files: object  # PCollection of (path, size)
    input_counts: tuple  # PCollections of ("input", n) pairs
    stats: list = field(default_factory=list)  # PCollections of ("<stage>.<stat>", n) pairs
    costs: list = field(default_factory=list)  # PCollections of (step, cpu µs, wall µs) per worker bundle


def write_run(output: str, cfg: Config, kept, rejected, errors, facts: RunFacts) -> None:
    """Decided documents -> OUT/shards (the mixture), OUT/rejected, OUT/errors and OUT/manifest.json."""
    applied = cfg.mixture.enabled and cfg.mode == "filter"
    kept = kept | "KeptBounds" >> beam.ParDo(_Bounds(cfg))
    rejected = rejected | "RejectedBounds" >> beam.ParDo(_Bounds(cfg))
    kept, unwritable = writable(kept, "WritableKept")
    rejected, unwritable_rejected = writable(rejected, "WritableRejected")
    rows, sampled_out, would, plan = kept | "Mixture" >> Mix(cfg.mixture, applied)
    rejected = (rejected, sampled_out) | "WithSampledOut" >> beam.Flatten()
    errors = (errors, unwritable, unwritable_rejected) | "WithUnwritable" >> beam.Flatten()
    infos = [
        rows | "WriteShards" >> WriteShards(output, "shards", bucket_of, cfg.output),
        rejected | "WriteRejected" >> WriteShards(output, "rejected", rejecting_stage, cfg.output),
        errors | "WriteErrors" >> WriteShards(output, "errors", lambda e: None, cfg.output),
    ]
    counts = (
        (
            *facts.input_counts,
            rows
            | "Originals" >> beam.Filter(lambda d: d.copy_of is None)
            | "KeptCounts" >> beam.FlatMap(decided_counts),
            rejected | "RejectedCounts" >> beam.FlatMap(decided_counts),
            rows | "RowCounts" >> beam.FlatMap(row_counts),
            would | "WouldCounts" >> beam.FlatMap(_would_counts),
            errors | "ErrorStages" >> beam.Map(lambda e: (f"errors:{e.stage}", 1)),
            *(
                stats | f"Stats{i}" >> beam.MapTuple(lambda k, n: (f"stat:{k}", n))
                for i, stats in enumerate(facts.stats)
            ),
            *(
                costs | f"CostKeys{i}" >> beam.FlatMapTuple(_cost_keys)
                for i, costs in enumerate(facts.costs)
            ),
        )
        | "CountKeys" >> beam.Flatten()
        | "Count" >> beam.CombinePerKey(sum)
    )
    _ = kept.pipeline | "Manifest" >> WriteManifest(
        output,
        cfg,
        facts.patterns,
        [*facts.stage_names, MIXTURE],
        files=facts.files,
        infos=infos | "AllInfos" >> beam.Flatten(),
        counts=counts,
        plan=plan,
        applied=applied,
    )
