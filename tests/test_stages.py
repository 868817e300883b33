"""The Beam layer around stages: batching, routing to kept / rejected / errors, and error isolation."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.beam.runner import BATCH_SIZE, run_stage
from pipeline.stage import Stage
from schemas.document import Document


class LengthRule(Stage):
    """Rejects short texts, raises on texts containing "boom", upper-cases the rest."""

    name = "length"

    def process(self, doc: Document) -> list[str]:
        if "boom" in doc.text:
            raise ValueError("cannot digest boom")
        doc.text = doc.text.upper()
        return ["length.too_short"] if len(doc.text) < 5 else []


class BatchedLengthRule(LengthRule):
    """The same rule through a batch call that fails whole when one document is bad."""

    batched = True

    def process_batch(self, docs: list[Document]) -> list[list[str]]:
        if any("boom" in doc.text for doc in docs):
            raise ValueError("batch failed")
        return [self.process(doc) for doc in docs]


def _docs(n: int) -> list[Document]:
    texts = ["a long enough text", "tiny", "goes boom here"]
    return [Document(id=f"d{i:04d}", source="s", text=f"{texts[i % 3]} {i}") for i in range(n)]


def _run(stage: Stage, docs: list[Document]):
    with TestPipeline() as p:
        kept, rejected, errors, _ = run_stage(p | beam.Create(docs), stage, annotate=False)
        kept_ids = kept | "k" >> beam.Map(lambda d: (d.id, d.text))
        rejected_ids = rejected | "r" >> beam.Map(lambda d: (d.id, tuple(d.rejected_by)))
        error_ids = errors | "e" >> beam.Map(lambda e: (e.id, e.stage, e.error.split(":")[0]))
        assert_that(
            kept_ids,
            equal_to([(d.id, d.text.upper()) for d in docs if "boom" not in d.text and len(d.text) >= 5]),
            label="kept",
        )
        assert_that(
            rejected_ids,
            equal_to([(d.id, ("length.too_short",)) for d in docs if len(d.text) < 5]),
            label="rejected",
        )
        assert_that(
            error_ids,
            equal_to([(d.id, "length", "ValueError") for d in docs if "boom" in d.text]),
            label="errors",
        )


def test_documents_are_routed_across_several_batches():
    docs = _docs(3 * BATCH_SIZE + 5) + [Document(id="short", source="s", text="ab")]
    _run(LengthRule(), docs)


def test_a_failed_batch_is_retried_one_by_one_and_only_the_bad_document_errs():
    docs = _docs(2 * BATCH_SIZE + 7) + [Document(id="short", source="s", text="ab")]
    _run(BatchedLengthRule(), docs)
