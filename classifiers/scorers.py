"""The model-based scoring stages a config enables, in pipeline order (after MinHash dedup, before PII:
models are the most expensive per-document step, so they see only the documents every cheaper step kept)."""

from __future__ import annotations

from classifiers.quality import QualityScorer
from pipeline.stage import Stage
from schemas.config import Config


def scoring_stages(cfg: Config) -> list[Stage]:
    """The enabled scorers that have a model configured."""
    quality = cfg.classifiers["quality"]
    return [QualityScorer(quality)] if quality.enabled and quality.models else []
