"""The token stage: counts tokens with the run's tokenizer (regex words by default, or any tokenizer.json)."""

from __future__ import annotations

from pipeline.stage import Stage
from pipeline.text import TextViews, release
from schemas.document import Document


class TokenStage(Stage):
    """Sets `doc.tokens`, reusing the tokenization the filters already made when the text is unchanged."""

    name = "tokens"

    def __init__(self, views: TextViews):
        self.views = views

    def process(self, doc: Document) -> list[str]:
        doc.tokens = self.views.count_tokens(doc)
        release(doc)
        return []
