"""PII redaction: contact identifiers and secrets, person names by policy, language-aware.

Public API: `redact(text, lang)` (default settings) and `PiiRedactor(settings)` (`redact`, `redact_batch`,
`find_batch`); the pipeline stage is `stage.PiiStage`. docs/pii-policy.md explains what is redacted and why.
"""

from pipeline.pii.redactor import PiiRedactor, redact

__all__ = ["PiiRedactor", "redact"]
