"""Model-backed and rule-based scorers: domain, quality, LLM annotators."""
