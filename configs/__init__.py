"""Packaged configs: default.yaml and presets."""
