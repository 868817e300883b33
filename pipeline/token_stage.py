"""Counts tokens with the configured tokenizer (regex words by default, or any tokenizer.json)."""

from __future__ import annotations

from filters.base import Stage
from filters.tokens import TextViews, make_tokenizer, release
from schemas.config import TokensConfig
from schemas.document import Document


class TokenStage(Stage):
    name = "tokens"

    def __init__(self, cfg: TokensConfig):
        self.cfg = cfg
        self.views: TextViews | None = None

    def setup(self) -> None:
        self.views = TextViews(make_tokenizer(self.cfg.tokenizer))

    def process(self, doc: Document) -> list[str]:
        doc.tokens = self.views.count_tokens(doc)
        release(doc)
        return []
