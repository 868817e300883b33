"""The pipeline: the stage interface and registry, the engine-free stages (extraction, dedup keys, PII,
tokens) and, in `pipeline.beam`, the Beam layer that runs them."""
