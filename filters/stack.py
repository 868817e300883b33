"""Build the configured filter list from the `filters:` section of the config (schemas/config.py).

A rule given in settings replaces that rule's default Bounds; `None` disables it. Overrides name rules in
full ("<stage>.<rule>") per domain or language; the default overrides (math and code pages spared the
prose rules, FineWeb's English language-id threshold) live in configs/default.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from filters.base import Bounds, Overrides, SignalFilter
from filters.c4 import C4
from filters.dirty_words import DirtyWords
from filters.fineweb import FineWeb
from filters.gopher import GopherQuality, GopherRepetition
from filters.kl_divergence import KLDivergence, ReferenceBuilder, UnigramReference
from filters.langid import LangId
from filters.tokens import TextViews

if TYPE_CHECKING:  # schemas.config imports this module to validate rule names
    from schemas.config import FiltersConfig, KLConfig, OverridesConfig

BoundsLike = Bounds | Mapping[str, float | None] | Any | None
Rules = dict[str, BoundsLike]

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


def resolve_overrides(settings: OverridesConfig) -> dict[str, Overrides]:
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
    settings: FiltersConfig, views: TextViews, reference: UnigramReference | None = None
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


def reference_builder(kl: KLConfig, views: TextViews) -> ReferenceBuilder:
    """An empty accumulator for the KL reference, configured from `settings.kl`."""
    return ReferenceBuilder(views, kl.min_tokens, kl.max_vocab, kl.calibration_docs)
