"""Routing and scoring stages: domain, language id, and model-backed scorers."""
