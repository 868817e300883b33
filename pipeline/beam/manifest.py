"""Writes manifest.json once every shard is written: a single element with the run's facts as side inputs."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsList, AsSingleton

from pipeline.beam.sinks import write_atomically
from pipeline.mixture import achieved
from schemas.config import Config
from schemas.manifest import MANIFEST_NAME, build_manifest, dumps, per_bucket


class WriteManifest(beam.PTransform):
    def __init__(
        self, output: str, cfg: Config, patterns: list[str], stage_names: list[str], *, files, infos, counts,
        plan, applied: bool,
    ):
        super().__init__()
        self.output, self.cfg, self.patterns, self.stage_names = output, cfg, patterns, stage_names
        self.files, self.infos, self.counts, self.plan, self.applied = files, infos, counts, plan, applied

    def expand(self, pbegin):
        output, cfg, patterns, stage_names, applied = (
            self.output, self.cfg, self.patterns, self.stage_names, self.applied
        )

        def write(_, files, infos, counts, plan):
            mixture = achieved(plan, per_bucket(counts, "row_tokens"), per_bucket(counts, "rows"), applied)
            mixture["enabled"] = cfg.mixture.enabled
            manifest = build_manifest(
                config=cfg.model_dump(),
                config_sha256=cfg.digest(),
                patterns=patterns,
                files=files,
                stage_names=stage_names,
                counts=counts,
                shards=infos,
                mixture=mixture,
            )
            write_atomically(f"{output.rstrip('/')}/{MANIFEST_NAME}", dumps(manifest).encode())
            return manifest["counts"]

        return (
            pbegin
            | beam.Create([None])
            | beam.Map(
                write,
                files=AsList(self.files),
                infos=AsList(self.infos),
                counts=AsDict(self.counts),
                plan=AsSingleton(self.plan),
            )
        )
