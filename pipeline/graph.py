"""The Beam graph: read -> per-document stages in DESIGN.md order -> shards, rejected, errors, manifest."""

from __future__ import annotations

import apache_beam as beam

from filters.base import Stage
from pipeline.manifest import WriteManifest
from pipeline.sinks import WriteShards
from pipeline.sources import ReadDocuments
from pipeline.stages import run_stage
from schemas.config import Config
from schemas.document import Document, ErrorRecord


def build_stages(cfg: Config) -> list[Stage]:
    """The enabled per-document stages, cheap before expensive (DESIGN.md "Stage order")."""
    from classifiers.domain import DomainStage
    from filters.registry import build_filters
    from pipeline.extract_stage import ExtractStage
    from pipeline.token_stage import TokenStage

    stages: list[Stage] = [ExtractStage(cfg.extract)]
    stages += build_filters(cfg)
    stages += [TokenStage(cfg.tokens), DomainStage(cfg.domain)]
    return stages


def rejecting_stage(doc: Document) -> str:
    return doc.rejected_by[0].split(".", 1)[0]


def build_pipeline(p: beam.Pipeline, inputs: list[str], output: str, cfg: Config) -> None:
    """Adds the whole curation graph to `p`."""
    annotate = cfg.mode == "annotate"
    read = p | "ReadInputs" >> ReadDocuments(inputs, cfg.input)
    parts = read["records"] | "SplitRead" >> beam.Partition(lambda r, _: int(isinstance(r, ErrorRecord)), 2)
    kept, errors, rejected = parts[0], [parts[1]], []
    stage_names = []
    for stage in build_stages(cfg):
        stage_names.append(stage.name)
        kept, stage_rejected, stage_errors = run_stage(kept, stage, annotate)
        rejected.append(stage_rejected)
        errors.append(stage_errors)

    all_rejected = rejected | "AllRejected" >> beam.Flatten()
    all_errors = errors | "AllErrors" >> beam.Flatten()
    infos = [
        kept | "WriteShards" >> WriteShards(output, "shards", lambda d: d.domain or "general", cfg.output),
        all_rejected | "WriteRejected" >> WriteShards(output, "rejected", rejecting_stage, cfg.output),
        all_errors | "WriteErrors" >> WriteShards(output, "errors", lambda e: None, cfg.output),
    ]
    counts = (
        (
            read["records"] | "CountInput" >> beam.Map(lambda r: "input"),
            (kept, all_rejected) | "Decided" >> beam.Flatten() | "Reasons" >> beam.FlatMap(
                lambda d: [f"reason:{r}" for r in d.rejected_by]
            ),
            all_errors | "ErrorStages" >> beam.Map(lambda e: f"errors:{e.stage}"),
        )
        | "CountKeys" >> beam.Flatten()
        | "Count" >> beam.combiners.Count.PerElement()
    )
    _ = p | "Manifest" >> WriteManifest(
        output, cfg, inputs, stage_names,
        files=read["files"], infos=infos | "AllInfos" >> beam.Flatten(), counts=counts,
    )
