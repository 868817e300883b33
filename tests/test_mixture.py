"""The mixture: weights reached in tokens, deterministic sampling and repeats, budgets, short buckets, topic
caps and weights from the transformer tier's topic signals; as Beam aggregations and as `tune` plans it."""

from __future__ import annotations

import json
import random

import apache_beam as beam
import numpy as np
import pytest

from pipeline.beam.mixture import Mix
from pipeline.mixture import Tally, apply, bucket_of, cell_of, draw, plan_mixture, topic_factors
from pipeline.stored import Columns
from pipeline.tune import mixture_plan
from schemas.config import MixtureConfig, TopicMixConfig
from schemas.document import Document

LLAMA3 = {"general": 0.50, "math": 0.25, "code": 0.17, "multilingual": 0.08}
TOPICS = ("science", "arts_entertainment", "sports", "health")


def corpus(sizes: dict[str, int], seed: int = 0, topics: bool = False) -> list[Document]:
    """Documents with log-normal token counts (a web corpus's long tail), optional topic signals as the
    transformer tier writes them (topic.<model>.<label> probabilities)."""
    rng = random.Random(seed)
    docs = []
    for bucket, n in sizes.items():
        for i in range(n):
            signals = {}
            if topics:
                weights = [rng.random() for _ in TOPICS]
                top = rng.choices(range(len(TOPICS)), weights=[0.3, 0.5, 0.1, 0.1])[0]
                weights[top] += 2.0
                signals = {f"topic.tf.{t}": w / sum(weights) for t, w in zip(TOPICS, weights, strict=True)}
            docs.append(
                Document(
                    id=f"{bucket}-{i:06d}-{rng.getrandbits(32):08x}",
                    source=f"s#{i}",
                    text="x",
                    domain=bucket,
                    tokens=max(1, int(rng.lognormvariate(6, 1))),
                    signals=signals,
                )
            )
    return docs


def mixed(docs: list[Document], cfg: MixtureConfig):
    tally = Tally()
    for doc in docs:
        tally.add(cell_of(doc, cfg), draw(doc.id, cfg.seed), doc.tokens)
    plan = plan_mixture(tally, cfg)
    return plan, [row for doc in docs for row in apply(doc, plan, cfg)]


def shares(rows: list[Document], key=bucket_of) -> dict[str, float]:
    totals: dict[str, int] = {}
    for row in rows:
        totals[key(row)] = totals.get(key(row), 0) + row.tokens
    whole = sum(totals.values())
    return {k: v / whole for k, v in totals.items()}


@pytest.mark.parametrize("budget_share", [None, 0.5])
def test_weights_are_reached_within_one_percent_when_buckets_are_large(budget_share):
    docs = corpus({"general": 6000, "math": 2500, "code": 1800, "multilingual": 900})
    total = sum(d.tokens for d in docs)
    cfg = MixtureConfig(total_tokens=int(total * budget_share) if budget_share else None)
    plan, rows = mixed(docs, cfg)
    achieved = shares(rows)
    for bucket, weight in LLAMA3.items():
        assert abs(achieved[bucket] - weight) < 0.01 * weight, (bucket, achieved[bucket], weight)
    epochs = {b: plan.buckets[b].epochs for b in LLAMA3}
    if budget_share is None:
        # general is the most plentiful for its weight: used once; the others repeated to match it
        assert epochs["general"] == pytest.approx(1.0) and all(epochs[b] > 1 for b in ("math", "code"))
    else:  # half the tokens: every bucket but the scarcest down-sampled, by the hash of the id
        assert abs(sum(r.tokens for r in rows) - total * budget_share) < 0.005 * total
        assert epochs["general"] < 1 and epochs["code"] < 1
    ids = [row.id for row in rows]
    assert len(ids) == len(set(ids))  # every repetition is a distinct row
    for row in rows:
        if row.copy_of is not None:
            assert row.id.startswith(row.copy_of + "#") and int(row.id.rsplit("#", 1)[1]) >= 2


def test_the_same_documents_in_any_order_give_the_same_rows():
    docs = corpus({"general": 800, "math": 100, "code": 200, "multilingual": 50}, seed=3)
    _, rows = mixed(docs, MixtureConfig())
    shuffled = list(docs)
    random.Random(9).shuffle(shuffled)
    _, again = mixed(shuffled, MixtureConfig())
    assert sorted(r.id for r in rows) == sorted(r.id for r in again)
    _, other_seed = mixed(docs, MixtureConfig(seed=1))
    assert sorted(r.id for r in rows) != sorted(r.id for r in other_seed)


def test_a_budget_bounds_the_total_and_max_repeat_bounds_the_copies():
    docs = corpus({"general": 3000, "math": 150, "code": 400, "multilingual": 400}, seed=1)
    budget = int(sum(d.tokens for d in docs if d.domain == "general") * 0.6)
    cfg = MixtureConfig(
        total_tokens=budget, max_repeat={"general": 4, "math": 2.5, "code": 4, "multilingual": 4}
    )
    plan, rows = mixed(docs, cfg)
    assert abs(sum(r.tokens for r in rows) - budget) < 0.01 * budget
    copies: dict[str, int] = {}
    for row in rows:
        copies[row.copy_of or row.id] = copies.get(row.copy_of or row.id, 0) + 1
    math_docs = {d.id for d in docs if d.domain == "math"}
    assert max(n for i, n in copies.items() if i in math_docs) <= 3  # 2.5: two copies, a third for some
    assert plan.buckets["math"].note.startswith("short of its weight")
    # math falls short: the others share what it leaves, the budget is still met
    achieved = shares(rows)
    assert achieved["math"] < 0.25 - 0.02 and plan.buckets["math"].epochs == pytest.approx(2.5, rel=0.01)
    assert any("math" in note for note in plan.notes)


def test_keep_weights_shrinks_the_total_instead():
    docs = corpus({"general": 3000, "math": 300, "code": 900, "multilingual": 600}, seed=2)
    plan, rows = mixed(docs, MixtureConfig(keep_weights=True))
    achieved = shares(rows)
    for bucket, weight in LLAMA3.items():
        assert abs(achieved[bucket] - weight) < 0.01, (bucket, achieved)
    assert plan.buckets["math"].epochs == pytest.approx(4.0, rel=0.01)
    assert plan.buckets["general"].epochs < 1  # general is down-sampled to keep the weights


def test_an_empty_bucket_scales_the_other_weights_up():
    docs = corpus({"general": 2000, "code": 1000}, seed=4)
    plan, rows = mixed(docs, MixtureConfig())
    achieved = shares(rows)
    assert set(achieved) == {"general", "code"}
    assert achieved["general"] == pytest.approx(0.50 / 0.67, abs=0.01)
    assert plan.buckets["math"].note == "no documents"
    assert any(note.startswith("math: requested 0.25 but no documents") for note in plan.notes)


def test_a_topic_cap_changes_the_mix_as_configured():
    docs = corpus({"general": 5000, "code": 1500, "math": 1200, "multilingual": 500}, seed=5, topics=True)
    topic_of = lambda d: cell_of(d, capped)[1]  # noqa: E731
    capped = MixtureConfig(topics=TopicMixConfig(signal="topic.tf", caps={"arts_entertainment": 0.2}))
    _, plain_rows = mixed(docs, MixtureConfig())
    _, rows = mixed(docs, capped)
    general = [r for r in rows if r.domain == "general"]
    before = shares([r for r in plain_rows if r.domain == "general"], topic_of)
    after = shares(general, topic_of)
    assert before["arts_entertainment"] > 0.4  # the generated corpus over-represents it
    assert after["arts_entertainment"] == pytest.approx(0.2, abs=0.005)
    # the room it leaves goes to the other topics in proportion; the bucket weights still hold
    assert after["science"] / after["sports"] == pytest.approx(before["science"] / before["sports"], rel=0.1)
    assert shares(rows)["general"] == pytest.approx(0.5, abs=0.005)
    # a weight halves a topic's share relative to the others instead
    weighted = MixtureConfig(topics=TopicMixConfig(signal="topic.tf", weights={"arts_entertainment": 0.5}))
    _, rows = mixed(docs, weighted)
    share = shares([r for r in rows if r.domain == "general"], topic_of)["arts_entertainment"]
    arts = before["arts_entertainment"]
    assert share == pytest.approx(0.5 * arts / (0.5 * arts + (1 - arts)), abs=0.01)
    # only the configured buckets have topics
    assert {cell_of(d, capped)[1] for d in docs if d.domain == "code"} == {""}


def test_topic_factors_water_filling():
    factors, notes = topic_factors({"a": 600, "b": 300, "c": 100}, {}, {"a": 0.3, "b": 0.5})
    tokens = {t: f * n for t, f, n in ((t, factors[t], n) for t, n in {"a": 600, "b": 300, "c": 100}.items())}
    total = sum(tokens.values())
    assert total == pytest.approx(1000)
    assert tokens["a"] / total == pytest.approx(0.3) and tokens["b"] / total <= 0.5 + 1e-9
    assert not notes
    _, notes = topic_factors({"a": 100}, {}, {"a": 0.5})
    assert notes and "caps sum below 1" in notes[0]


def _run_beam(docs: list[Document], cfg: MixtureConfig, tmp_path, applied: bool = True) -> dict:
    with beam.Pipeline(runner="FnApiRunner") as p:
        rows, sampled_out, would, plan = p | beam.Create(docs) | Mix(cfg, applied)
        _ = (
            rows
            | "Rows" >> beam.Map(lambda d: json.dumps([d.id, d.copy_of, d.tokens]))
            | "W1" >> beam.io.WriteToText(str(tmp_path / "rows"))
        )
        _ = (
            sampled_out
            | "Out" >> beam.Map(lambda d: json.dumps([d.id, d.rejected_by]))
            | "W2" >> beam.io.WriteToText(str(tmp_path / "out"))
        )
        _ = would | "Would" >> beam.Map(str) | "W3" >> beam.io.WriteToText(str(tmp_path / "would"))

    def read(prefix):
        return [json.loads(line) for path in tmp_path.glob(f"{prefix}*") for line in path.open()]

    return {"rows": read("rows"), "out": read("out"), "would": [int(x) for x in read("would")]}


def test_the_beam_step_applies_the_same_plan(tmp_path):
    docs = corpus({"general": 900, "math": 150, "code": 200, "multilingual": 120}, seed=6)
    _, expected = mixed(docs, MixtureConfig())
    got = _run_beam(docs, MixtureConfig(), tmp_path / "a")
    assert sorted(r[0] for r in got["rows"]) == sorted(r.id for r in expected)
    kept = {r[1] or r[0] for r in got["rows"]}
    assert {o[0] for o in got["out"]} == {d.id for d in docs} - kept
    assert all(o[1] == ["mixture.sampled_out"] for o in got["out"])
    # not applied (annotate mode): every document once, the ones it would leave out counted
    planned = _run_beam(docs, MixtureConfig(), tmp_path / "b", applied=False)
    assert sorted(r[0] for r in planned["rows"]) == sorted(d.id for d in docs)
    assert len(planned["would"]) == len(got["out"]) and not planned["out"]


def test_tune_plans_the_mixture_as_the_pipeline_does():
    docs = corpus({"general": 700, "math": 90, "code": 150, "multilingual": 60}, seed=7, topics=True)
    cfg = MixtureConfig(topics=TopicMixConfig(signal="topic.tf", caps={"arts_entertainment": 0.25}))
    plan, _ = mixed(docs, cfg)
    keys = sorted({k for d in docs for k in d.signals})
    cols = Columns(
        ids=np.array([d.id for d in docs], dtype=object),
        copy_of=np.array([None] * len(docs), dtype=object),
        domain=np.array([d.domain for d in docs], dtype=object),
        lang=np.array([None] * len(docs), dtype=object),
        tokens=np.array([d.tokens for d in docs]),
        dup_cluster=np.array([None] * len(docs), dtype=object),
        signals={k: np.array([d.signals.get(k, np.nan) for d in docs]) for k in keys},
        signal_names=frozenset(keys),
        reason_names=[],
        reason_codes=np.zeros(0, dtype=np.int64),
        reason_rows=np.zeros(0, dtype=np.int64),
    )
    from pipeline.tune import draws

    tuned = mixture_plan(cols, np.ones(len(docs), dtype=bool), cfg, draws(cols.ids, cfg.seed))
    assert tuned.cells == plan.cells
    assert tuned.summary() == plan.summary()
