"""A config's threshold rules by stage: the bounds that applied to a document, and its decision re-made from
its stored signals (the rejected rows' `bounds` column, `curate tune`).

A stage's rules are its settings' `rules_for(domain, lang)` (overrides resolved); a rule reads one stored
signal (`<stage>.<rule>` for most stages, the rule's own name for the transformer tier, whose rules name
`<field>.<model>`). Reasons that no threshold decides (duplicates, an HTTP status, a language outside the
targets, the mixture) are verdicts: re-deciding keeps them as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from pipeline.registry import discover, stage_classes
from pipeline.stage import Bounds, SignalFilter, StageSettings
from schemas.config import Config
from schemas.document import Document


class _LineShareSettings(StageSettings):
    """Line dedup's one threshold (`dedup.line.max_removed_share`) as a rule on its stored signal."""

    signals: ClassVar[tuple[str, ...]] = ("removed_share",)


@dataclass(frozen=True)
class RuleStage:
    """One stage's rules and where each reads its signal."""

    name: str
    settings: StageSettings
    filter: SignalFilter | None = None  # the stage itself when it has its own way of naming signals

    def rules_for(self, domain: str | None, lang: str | None) -> dict[str, Bounds]:
        return self.settings.rules_for(domain, lang)

    def signal_key(self, rule: str) -> str:
        """The stored signal a rule reads (the stage's own `own_signals` tells which form it uses)."""
        prefixed = f"{self.name}.{rule}"
        if self.filter is None or self.filter.own_signals({prefixed: 0.0}):
            return prefixed
        return rule


def rule_stages(cfg: Config) -> dict[str, RuleStage]:
    """Every stage of `cfg` that decides by threshold rules, by name (enabled or not: a stored run may
    hold its signals)."""
    discover(cfg.plugins)
    stages: dict[str, RuleStage] = {}
    for section in ("filters", "classifiers"):
        configured = getattr(cfg, section)
        for name, cls in stage_classes(section).items():
            if name in configured:
                stages[name] = RuleStage(name, configured[name], cls(configured[name]))
    stages["pii"] = RuleStage("pii", cfg.pii)
    line = _LineShareSettings(rules={"removed_share": Bounds(max=cfg.dedup.line.max_removed_share)})
    stages["dedup_line"] = RuleStage("dedup_line", line)
    return stages


def split_reason(reason: str) -> tuple[str, str]:
    stage, _, rule = reason.partition(".")
    return stage, rule


class RuleBook:
    """The rules of one config, with the order of the stages a run applied them in."""

    def __init__(self, cfg: Config, order: Sequence[str] = ()):
        self.cfg = cfg
        self.stages = rule_stages(cfg)
        self.order = list(order)

    def is_threshold(self, reason: str, signals: Mapping[str, float] | Iterable[str]) -> bool:
        """Whether a threshold rule made `reason`: its stage has rules and its signal is stored."""
        stage_name, rule = split_reason(reason)
        stage = self.stages.get(stage_name)
        return stage is not None and stage.signal_key(rule) in signals

    def bounds(self, doc: Document) -> dict[str, tuple[float | None, float | None]]:
        """(min, max) of each failed threshold rule of `doc.rejected_by`, as they applied to this document
        (its domain's and language's overrides resolved)."""
        found = {}
        for reason in doc.rejected_by:
            stage_name, rule = split_reason(reason)
            stage = self.stages.get(stage_name)
            bounds = stage.rules_for(doc.domain, doc.lang).get(rule) if stage else None
            if bounds is not None:
                found[reason] = (bounds.min, bounds.max)
        return found

    def failed(self, stage: RuleStage, doc: Document) -> list[str]:
        """The stage's rules that `doc`'s stored signals fail, in the stage's rule order."""
        failed = []
        for rule, bounds in stage.rules_for(doc.domain, doc.lang).items():
            value = doc.signals.get(stage.signal_key(rule))
            if value is not None and bounds.fails(value):
                failed.append(f"{stage.name}.{rule}")
        return failed

    def decide(self, doc: Document) -> list[str]:
        """`doc.rejected_by` re-made under these rules: in stage order, each rule stage's failed rules then
        its stored verdicts; other stages' stored verdicts as they are."""
        stored: dict[str, list[str]] = {}
        for reason in doc.rejected_by:
            stored.setdefault(split_reason(reason)[0], []).append(reason)
        names = self.order + [name for name in stored if name not in self.order]
        reasons: list[str] = []
        for name in names:
            stage = self.stages.get(name)
            if stage is not None:
                reasons += self.failed(stage, doc)
            reasons += [
                r for r in stored.get(name, ()) if stage is None or not self.is_threshold(r, doc.signals)
            ]
        return reasons
