"""The Beam side of pretrain-curator: sources, HTML extraction, dedup, PII, shards, graph and CLI."""
