"""Heuristic document filters, one module each: a `SignalFilter` with its settings model and cited rules.

`pipeline.registry` imports every module here, which registers them; nothing else lists them.
"""
