"""PII redaction: contact identifiers and secrets, person names by policy, language-aware.

Public API: `redact(text, lang)` (default settings) and `PiiRedactor(settings)` (`redact`, `redact_batch`,
`find_batch`); the pipeline stage is `stage.PiiStage`. docs/pii-policy.md explains what is redacted and why.
"""

import os

from pipeline.pii.lean_import import without_heavy_imports

# tldextract (used by presidio's e-mail check) reads this when imported: an empty value keeps it on the
# suffix list bundled in its wheel instead of downloading one.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

with without_heavy_imports():
    import presidio_analyzer  # noqa: F401  (and spaCy with it)

from pipeline.pii.redactor import PiiRedactor, redact  # noqa: E402

__all__ = ["PiiRedactor", "redact"]
