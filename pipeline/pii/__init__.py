"""PII redaction with presidio, precise on technical text and cheap on documents without PII.

Public API: `redact(text)` (default settings) and `PiiRedactor(settings)` (`redact`, `redact_batch`,
`find_batch`). Recognizers of our own are in `recognizers`; the pipeline stage is `stage.PiiStage`.
"""

from pipeline.pii.redactor import PiiRedactor, redact

__all__ = ["PiiRedactor", "redact"]
