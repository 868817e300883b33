"""Import spaCy and presidio without torch and transformers, which neither needs for the PII stage.

When they are installed, spaCy (through thinc) imports torch and presidio imports transformers' pipeline
for engines this stage never uses (spaCy's small NER models run on numpy): ~3 s of CPU in every worker
process. Both are hidden during the first import unless already loaded, or unless spacy-transformers is
installed (its `_trf` models do need torch).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager

HEAVY = ("torch", "transformers")


@contextmanager
def without_heavy_imports() -> Iterator[None]:
    """Inside, `import torch` and `import transformers` raise ImportError (libraries fall back); after, they
    import normally."""
    if importlib.util.find_spec("spacy_transformers"):
        yield
        return
    hidden = [name for name in HEAVY if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not found" marker
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
