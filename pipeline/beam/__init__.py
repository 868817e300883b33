"""The Beam layer: graph, stage runner, sources, sinks, manifest, verify and the `curate` CLI.

Everything engine-free (stages, extraction, dedup keys, PII) lives outside this package and never imports
apache_beam; importing this package routes their file access through Beam's FileSystems, so model and
list paths may be gs://, s3:// or hdfs:// wherever the runner has that filesystem.
Public entry point: `build_pipeline(pipeline, inputs, output, config)`.
"""

from __future__ import annotations

from typing import Any

from pipeline import files


def _beam_open(path: str, mode: str):
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.open(path) if mode == "rb" else FileSystems.create(path)


def _beam_exists(path: str) -> bool:
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.exists(path)


files.set_filesystem(_beam_open, _beam_exists)


def build_pipeline(p: Any, inputs: list[str], output: str, cfg: Any) -> list[str]:
    """Adds the whole curation graph to the Beam pipeline `p`; returns the step names in order."""
    from pipeline.beam.graph import build_pipeline as build

    return build(p, inputs, output, cfg)
