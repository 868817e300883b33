"""PII redaction: contact identifiers and secrets, person names by policy, language-aware.

Public API: `redact(text, lang)` (default settings) and `PiiRedactor(settings)` (`redact`, `redact_batch`,
`find_batch`); the pipeline stage is `stage.PiiStage`. docs/pii-policy.md explains what is redacted and why.
"""

import os

# tldextract (used by presidio's e-mail check) reads this when imported: an empty value keeps it on the
# suffix list bundled in its wheel instead of downloading one.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


def __getattr__(name: str):
    # presidio and spaCy load with the first use: a run's launcher builds the PII stage without them
    if name in __all__:
        from pipeline.pii import redactor

        return getattr(redactor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PiiRedactor", "redact"]
