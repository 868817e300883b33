"""`curate tune`: re-decide an annotated run from its stored signals under changed rules, without re-running
any stage, and show per rule what is kept and lost, and the new mixture.

The decision is `RuleBook.decide` over columns: each rule is one vectorized comparison per group of
documents sharing a rule table (a domain and language with overrides), so a million documents take
seconds. Global steps (dedup, corpus-built references) keep the annotated run's verdicts; `exactness` says
for each whether the documents reaching it are still the ones that reached it, i.e. whether a filter run
with the new thresholds would decide as the re-decision does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.mixture import UNKNOWN_TOPIC, MixturePlan, Tally, plan_mixture
from pipeline.rules import RuleBook, RuleStage, split_reason
from pipeline.stored import Columns, StoredRun, StoredRunError
from schemas.config import Bounds, Config, ConfigError, MixtureConfig
from schemas.document import DOMAINS
from schemas.hashing import stable_hash

# What tune can change: thresholds and the mixture. Anything else changes what a stage computes.
TUNABLE = re.compile(
    r"^((filters|classifiers)\.[^.]+\.(rules|overrides)|pii\.(rules|overrides)|mixture)(\..+)?$"
    r"|^dedup\.line\.max_removed_share$"
)
DEDUP_STAGES = ("dedup_exact", "dedup_line", "dedup_minhash")


def check_tunable(overrides: Iterable[str]) -> None:
    """Refuses an override that would need a stage re-run (one line naming the key)."""
    for item in overrides:
        key = item.partition("=")[0].strip()
        if not TUNABLE.match(key):
            raise ConfigError(
                f"config error: {key}: tune re-decides rules and re-plans the mixture (<stage>.rules, "
                "<stage>.overrides, dedup.line.max_removed_share, mixture.*); this key changes what a stage "
                "computes: run the pipeline again"
            )


@dataclass
class Decision:
    """Every stored row's decision under one config: its first failed reason (or kept), the stage index
    of that reason (len(order) when kept), and per reason the rows that fail it at all."""

    order: list[str]
    reasons: list[str]
    first: np.ndarray  # index into reasons, -1 when kept
    stage: np.ndarray
    fails: dict[str, np.ndarray]

    @property
    def kept(self) -> np.ndarray:
        return self.first < 0


def _fails(values: np.ndarray, bounds: Bounds) -> np.ndarray:
    """Rows whose value is out of bounds; NaN (no value) never fails, as `decide` skips absent signals."""
    with np.errstate(invalid="ignore"):
        out = np.zeros(len(values), dtype=bool)
        if bounds.min is not None:
            out |= values < bounds.min
        if bounds.max is not None:
            out |= values > bounds.max
    return out


def _rule_tables(stage: RuleStage, cols: Columns) -> list[tuple[np.ndarray, dict[str, Bounds]]]:
    """(rows, rules) for each rule table the rows fall in (a domain and language with overrides)."""
    overrides = stage.settings.overrides
    domains, domain_codes = cols.codes("domain")
    langs, lang_codes = cols.codes("lang")
    domain_key = [d if d in overrides.domain else None for d in domains]
    lang_key = [x if x in overrides.lang else None for x in langs]
    pairs = np.unique(domain_codes * len(langs) + lang_codes)
    keys = sorted({(domain_key[p // len(langs)], lang_key[p % len(langs)]) for p in pairs.tolist()}, key=repr)
    tables = []
    for dk, lk in keys:
        in_domain = np.isin(domain_codes, [i for i, k in enumerate(domain_key) if k == dk])
        in_lang = np.isin(lang_codes, [i for i, k in enumerate(lang_key) if k == lk])
        tables.append((in_domain & in_lang, stage.rules_for(dk, lk)))
    return tables


def evaluate(book: RuleBook, cols: Columns) -> Decision:
    """`book.decide` for every row at once (see `RuleBook.decide` for the order of reasons)."""
    n = len(cols)
    reasons: list[str] = []
    index: dict[str, int] = {}
    first = np.full(n, -1, dtype=np.int64)
    stage_of = np.full(n, len(book.order), dtype=np.int64)
    fails: dict[str, np.ndarray] = {}

    def record(reason: str, mask: np.ndarray, position: int) -> None:
        code = index.setdefault(reason, len(reasons))
        if code == len(reasons):
            reasons.append(reason)
        fails[reason] = fails[reason] | mask if reason in fails else mask
        newly = mask & (first < 0)
        first[newly] = code
        stage_of[newly] = position

    stored_by_stage: dict[str, list[str]] = {}
    for reason in cols.reason_names:
        stored_by_stage.setdefault(split_reason(reason)[0], []).append(reason)
    names = book.order + [name for name in stored_by_stage if name not in book.order]
    for position, name in enumerate(names):
        stage = book.stages.get(name)
        if stage is not None:
            for rows, rules in _rule_tables(stage, cols):
                for rule, bounds in rules.items():
                    values = cols.signals.get(stage.signal_key(rule))
                    if values is not None:
                        record(f"{name}.{rule}", rows & _fails(values, bounds), position)
        for reason in stored_by_stage.get(name, ()):
            if stage is None or not book.is_threshold(reason, cols.signal_names):
                record(reason, cols.stored(reason), position)
    return Decision(book.order, reasons, first, stage_of, fails)


def signal_keys(*books: RuleBook) -> set[str]:
    """The stored signals the books' rules read."""
    keys = set()
    for book in books:
        for stage in book.stages.values():
            tables = [
                stage.settings.rules,
                *stage.settings.overrides.domain.values(),
                *stage.settings.overrides.lang.values(),
            ]
            keys |= {stage.signal_key(rule) for table in tables for rule in table}
    return keys


# ------------------------------------------------------------------------------------------ the mixture


def draws(ids: np.ndarray, seed: int) -> np.ndarray:
    """`pipeline.mixture.draw` for many ids."""
    prefix = f"mixture\x00{seed}\x00"
    return np.fromiter((stable_hash(prefix + i) for i in ids), dtype=np.float64, count=len(ids)) / 2**64


def topics(cols: Columns, prefix: str) -> np.ndarray:
    """`top_label` for every row: the label of the largest `<prefix>.<label>` signal (ties: the largest
    label), "unknown" when a row has none."""
    labels = sorted(
        (k[len(prefix) + 1 :] for k in cols.signal_names if k.startswith(prefix + ".")), reverse=True
    )
    out = np.full(len(cols), UNKNOWN_TOPIC, dtype=object)
    if not labels:
        return out
    matrix = np.vstack([cols.signal(f"{prefix}.{label}") for label in labels])
    present = ~np.all(np.isnan(matrix), axis=0)
    best = np.argmax(np.where(np.isnan(matrix), -np.inf, matrix), axis=0)
    out[present] = np.array(labels, dtype=object)[best[present]]
    return out


def mixture_plan(cols: Columns, kept: np.ndarray, cfg: MixtureConfig, draw_values: np.ndarray) -> MixturePlan:
    """The mixture `plan_mixture` makes of the kept rows (cells as `pipeline.mixture.cell_of`)."""
    bucket = np.array([d if d in DOMAINS else "general" for d in cols.domain], dtype=object)
    topic = np.full(len(cols), "", dtype=object)
    if cfg.topics.signal:
        in_topics = np.isin(bucket, cfg.topics.buckets)
        topic[in_topics] = topics(cols, cfg.topics.signal)[in_topics]
    cells: dict[tuple[str, str], int] = {}
    codes = np.fromiter(
        (cells.setdefault(c, len(cells)) for c in zip(bucket, topic, strict=True)), np.int64, len(cols)
    )
    tally = Tally()
    for cell, code in sorted(cells.items()):
        rows = kept & (codes == code)
        if rows.any():
            tally.add_many(cell, draw_values[rows], cols.tokens[rows])
    return plan_mixture(tally, cfg)


# ------------------------------------------------------------------------------------------- exactness


def exactness(run: StoredRun, cols: Columns, before: Decision, after: Decision, book: RuleBook) -> list[str]:
    """Per global step, whether the re-decision is what a filter run would decide (one line each)."""
    lines = []
    order = before.order
    minhash_chained = run.manifest.get("dedup", {}).get("dedup_minhash.kept_not_similar_to_keeper", 0)
    for position, name in enumerate(order):
        stage = book.stages.get(name)
        corpus = stage is not None and stage.filter is not None and stage.filter.corpus_builder() is not None
        if name not in DEDUP_STAGES and not corpus:
            continue
        entered, enters = before.stage >= position, after.stage >= position
        left, joined = entered & ~enters, enters & ~entered
        if not left.any() and not joined.any():
            lines.append(f"{name}: exact (the same documents reach it)")
            continue
        what = f"{int(left.sum()):,} documents no longer reach it, {int(joined.sum()):,} newly do"
        if name in ("dedup_exact", "dedup_minhash") and not joined.any():
            keepers = set(cols.dup_cluster[cols.stored(f"{name}.duplicate")])
            in_cluster = np.isin(cols.ids[left], list(keepers))
            if name == "dedup_minhash":
                member = ~np.isnan(cols.signal("dedup_minhash.similarity")[left])
                member |= ~np.isnan(cols.signal("dedup_minhash.cluster_size")[left])
                in_cluster |= member
            if not in_cluster.any() and (name != "dedup_minhash" or not minhash_chained):
                lines.append(f"{name}: exact ({what}, none of them in a duplicate cluster)")
                continue
        reason = "its corpus value was built from them" if corpus else "its verdicts depend on them"
        lines.append(f"{name}: APPROXIMATE ({what}; {reason}): run again for exact figures")
    return lines


# ------------------------------------------------------------------------------------------- the report


@dataclass
class TuneResult:
    run: StoredRun
    cols: Columns
    before: Decision
    after: Decision
    plan_before: MixturePlan
    plan_after: MixturePlan
    exactness: list[str]
    changed: list[
        tuple[str, tuple, tuple]
    ]  # (rule, bounds before, bounds after) of rules whose bounds changed


def _bounds_text(bounds: tuple) -> str:
    low, high = bounds
    if low is None and high is None:
        return "off"
    return f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"


def _rule_bounds(book: RuleBook) -> dict[str, set[tuple]]:
    """Every (stage.rule) with the distinct bounds it has across its rule tables."""
    found: dict[str, set[tuple]] = {}
    for name, stage in book.stages.items():
        settings = stage.settings
        for table in (
            settings.rules_for(None, None),
            *(settings.rules_for(d, None) for d in settings.overrides.domain),
            *(settings.rules_for(None, g) for g in settings.overrides.lang),
        ):
            for rule, bounds in table.items():
                found.setdefault(f"{name}.{rule}", set()).add((bounds.min, bounds.max))
    return found


def tune(output: str, overrides: Sequence[str]) -> tuple[TuneResult, Config]:
    """Re-decides the annotated run in `output` under `overrides`; returns the result and the new config."""
    check_tunable(overrides)
    run = StoredRun(output)
    if run.mode != "annotate":
        raise StoredRunError(
            f"{output} is a filter run: its rejected documents hold only the signals of the stages they "
            "reached; "
            "tune needs a run made with --set mode=annotate"
        )
    old_cfg, new_cfg = run.config(), run.config(overrides)
    order = run.stage_names
    old_book, new_book = RuleBook(old_cfg, order), RuleBook(new_cfg, order)
    rule_keys = signal_keys(old_book, new_book) | {"dedup_minhash.similarity", "dedup_minhash.cluster_size"}
    topic_prefixes = tuple(
        f"{m.topics.signal}." for m in (old_cfg.mixture, new_cfg.mixture) if m.topics.signal
    )
    cols = run.columns(
        keys=lambda name: name in rule_keys or (bool(topic_prefixes) and name.startswith(topic_prefixes))
    )
    before, after = evaluate(old_book, cols), evaluate(new_book, cols)
    old_draws = draws(cols.ids, old_cfg.mixture.seed)
    new_draws = (
        old_draws if new_cfg.mixture.seed == old_cfg.mixture.seed else draws(cols.ids, new_cfg.mixture.seed)
    )
    old_bounds, new_bounds = _rule_bounds(old_book), _rule_bounds(new_book)
    changed = [
        (
            rule,
            tuple(sorted(old_bounds.get(rule, {(None, None)}), key=repr)),
            tuple(sorted(new_bounds.get(rule, {(None, None)}), key=repr)),
        )
        for rule in sorted(set(old_bounds) | set(new_bounds))
        if old_bounds.get(rule) != new_bounds.get(rule)
    ]
    result = TuneResult(
        run,
        cols,
        before,
        after,
        mixture_plan(cols, before.kept, old_cfg.mixture, old_draws),
        mixture_plan(cols, after.kept, new_cfg.mixture, new_draws),
        exactness(run, cols, before, after, old_book),
        changed,
    )
    return result, new_cfg


def render(result: TuneResult) -> str:
    """The printed report: changed rules, per rule documents and tokens before -> after, kept and lost,
    exactness, the mixture before -> after."""
    cols, before, after = result.cols, result.before, result.after
    tokens = cols.tokens
    lines = [f"{result.run.output}: {len(cols):,} documents re-decided from stored signals (annotate run)"]
    for rule, old, new in result.changed:
        lines.append(f"  {rule}: {' '.join(map(_bounds_text, old))} -> {' '.join(map(_bounds_text, new))}")
    table = [["rule", "first: documents", "first: tokens", "all: documents", "lost", "regained"]]
    for rule in sorted(set(before.reasons) | set(after.reasons)):
        b = before.first == (before.reasons.index(rule) if rule in before.reasons else -2)
        a = after.first == (after.reasons.index(rule) if rule in after.reasons else -2)
        if not (b.any() or a.any()):
            continue
        all_b, all_a = (int(d.fails[rule].sum()) if rule in d.fails else 0 for d in (before, after))
        table.append(
            [
                rule,
                f"{int(b.sum()):,} -> {int(a.sum()):,}",
                f"{int(tokens[b].sum()):,} -> {int(tokens[a].sum()):,}",
                f"{all_b:,} -> {all_a:,}",
                f"{int((a & before.kept).sum()):,}",
                f"{int((b & after.kept).sum()):,}",
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines += [
        "  "
        + row[0].ljust(widths[0])
        + "".join(f"  {c:>{w}}" for c, w in zip(row[1:], widths[1:], strict=True))
        for row in table
    ]
    kb, ka = before.kept, after.kept
    lines.append(
        f"  kept: {int(kb.sum()):,} -> {int(ka.sum()):,} documents, {int(tokens[kb].sum()):,} -> "
        f"{int(tokens[ka].sum()):,} tokens ({int((kb & ~ka).sum()):,} lost, "
        f"{int((ka & ~kb).sum()):,} regained)"
    )
    lines.append("  exactness against a filter run with these thresholds:")
    lines += [f"    {line}" for line in result.exactness] or ["    no global step affected"]
    lines.append("  mixture (planned):")
    lines.append(f"    {'bucket':<14} {'requested':>9} {'tokens':>23} {'weight':>17} {'epochs':>15}")
    old, new = result.plan_before.summary()["buckets"], result.plan_after.summary()["buckets"]
    for name in new:
        o = old.get(name, {"planned_tokens": 0, "planned": 0.0, "epochs": 0.0})
        n = new[name]
        lines.append(
            f"    {name:<14} {n['requested']:>9.3f} {o['planned_tokens']:>10,} -> {n['planned_tokens']:<10,}"
            f" {o['planned']:>6.3f} -> {n['planned']:<6.3f} {o['epochs']:>5.2f} -> {n['epochs']:<5.2f}"
            f"  {n['note']}"
        )
    lines += [f"    {note}" for note in result.plan_after.notes]
    return "\n".join(lines)
