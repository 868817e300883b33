"""The model-based scoring stages a config enables, in pipeline order (after MinHash dedup, before PII:
models are the most expensive per-document steps, so they see only the documents every cheaper step kept;
fastText before the transformer tier, so that fastText's rules, when set, spare the transformers work)."""

from __future__ import annotations

from classifiers.quality import QualityScorer
from classifiers.transformer import TransformerScorer
from pipeline.stage import Stage
from schemas.config import Config


def scoring_stages(cfg: Config) -> list[Stage]:
    """The enabled scorers that have a model configured."""
    quality, transformer = cfg.classifiers["quality"], cfg.classifiers["transformer"]
    stages: list[Stage] = []
    if quality.enabled and quality.models:
        stages.append(QualityScorer(quality))
    if transformer.enabled and transformer.models:
        stages.append(TransformerScorer(transformer))
    return stages
