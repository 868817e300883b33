"""Dedup Beam transforms on FnApiRunner with generated prose: planted exact, near and distinct pages."""

from __future__ import annotations

import json
import random
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.beam.components import ConnectedComponents, LinkToBest
from pipeline.beam.dedup import ExactDedup, LineDedup, MinHashDedup, UrlDedup
from pipeline.dedup.minhash import shingles
from schemas.config import DedupConfig, LineDedupConfig
from schemas.document import Document

WORDS = (
    "the of and to in is was for on that with as by at from his her an which are were had this be or not "
    "have their one all would there been has when who more will no if out so said what up its about into "
    "than them can only other new some could time these two may then do first any my now such like our "
    "over man me even most made after also did many before must through back years where much your way "
    "well down should because each just those people how too little state good very make world still own "
    "see men work long get here between both life being under never day same another know while last "
    "might us great old year off come since against go came right used take three river garden winter "
    "engine harbor market village teacher doctor letter window morning evening station bridge mountain"
).split()


def prose(rng: random.Random, words: int) -> str:
    """Sentences of common English words, about 12 words a sentence and 5 sentences a line."""
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentence = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
        sentences.append(" ".join(sentence).capitalize() + ".")
    return "\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5))


def edit(text: str, rate: float, rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) if rng.random() < rate else w for w in text.split(" "))


def jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a, 5)), set(shingles(b, 5))
    return len(x & y) / len(x | y)


def doc(doc_id: str, text: str, day: int = 1, url: str | None = None, **signals: float) -> Document:
    return Document(
        id=doc_id, source=f"test:{doc_id}", text=text, url=url,
        fetched_at=f"2024-05-{day:02d}T12:00:00Z", signals=dict(signals),
    )


def run(docs: list[Document], stages, out: Path, workers: int = 1) -> dict[str, dict]:
    """Runs the stage transforms in order; returns {id: row} with a `kept` flag, read back from files."""
    args = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"] if workers == 2 else []
    with beam.Pipeline(runner="FnApiRunner", options=PipelineOptions(args)) as p:
        kept = p | beam.Create(docs)
        rejected = []
        for i, stage in enumerate(stages):
            kept, dropped = kept | f"Stage{i}" >> stage
            rejected.append(dropped)
        rows = (
            kept | "Kept" >> beam.Map(lambda d: json.dumps(dict(d.to_row(), kept=True))),
            rejected | "Rejected" >> beam.Flatten()
            | "RejectedRows" >> beam.Map(lambda d: json.dumps(dict(d.to_row(), kept=False))),
        )
        _ = rows | beam.Flatten() | beam.io.WriteToText(str(out / "rows"))
    result = {}
    for path in sorted(out.glob("rows*")):
        for line in path.open():
            row = json.loads(line)
            row["signals"] = dict(row["signals"])
            result[row["id"]] = row
    assert len(result) == len(docs)  # conservation: every document comes out exactly once
    return result


SETTINGS = DedupConfig()


@pytest.fixture(scope="module")
def planted() -> tuple[list[Document], dict[str, tuple[str, float]]]:
    """60 distinct pages, plus copies of some of them at several word edit rates."""
    rng = random.Random(42)
    originals = [doc(f"page-{i:03d}", prose(rng, 250), day=1 + i % 20) for i in range(60)]
    copies, planted = [], {}
    for j, rate in enumerate([0.0, 0.0, 0.01, 0.01, 0.02, 0.15, 0.15, 0.3, 0.3]):
        source = originals[j * 5]
        copy = doc(f"copy-{j:02d}", edit(source.text, rate, rng), day=25)
        copies.append(copy)
        planted[copy.id] = (source.id, jaccard(copy.text, source.text))
    return originals + copies, planted


def test_minhash_removes_near_duplicates_above_threshold_only(planted, tmp_path) -> None:
    docs, truth = planted
    result = run(docs, [MinHashDedup(SETTINGS, annotate=False)], tmp_path)
    for copy_id, (source_id, similarity) in truth.items():
        copy, source = result[copy_id], result[source_id]
        if similarity >= 0.9:
            # The copy was fetched later (day 25), so it is the keeper and the original goes.
            assert copy["kept"] and not source["kept"], (copy_id, similarity)
            assert source["dup_cluster"] == copy_id
            assert source["rejected_by"] == ["dedup_minhash.duplicate"]
            assert source["signals"]["dedup_minhash.similarity"] >= 0.8
            assert copy["signals"]["dedup_minhash.cluster_size"] == 2
        elif similarity <= 0.6:
            assert copy["kept"] and source["kept"], (copy_id, similarity)
            assert copy["dup_cluster"] is None and source["dup_cluster"] is None
    assert {s >= 0.9 for _, s in truth.values()} == {True, False}  # both sides were planted
    untouched = [d.id for d in docs if d.id.startswith("page-") and int(d.id[5:]) % 5]
    assert all(result[i]["kept"] and result[i]["dup_cluster"] is None for i in untouched)


def test_chain_ends_with_one_keeper(tmp_path) -> None:
    rng = random.Random(3)
    words = prose(rng, 260).split(" ")
    a, b, c = (" ".join(words[k : k + 200]) for k in (0, 15, 30))
    assert jaccard(a, b) >= 0.8 and jaccard(b, c) >= 0.8 and jaccard(a, c) < 0.8
    docs = [doc("a", a, day=3), doc("b", b, day=2), doc("c", c, day=1)]
    result = run(docs, [MinHashDedup(SETTINGS, annotate=False)], tmp_path)
    assert [i for i, row in sorted(result.items()) if row["kept"]] == ["a"]
    assert result["b"]["dup_cluster"] == result["c"]["dup_cluster"] == "a"


def test_exact_and_url_dedup_keep_newest(tmp_path) -> None:
    rng = random.Random(5)
    text = prose(rng, 120)
    docs = [
        doc("e1", text, day=1, url="https://a.org/1"),
        doc("e2", "  " + text.upper() + " ", day=9, url="https://a.org/2"),  # same normalized text
        doc("e3", text, day=9, url="https://a.org/3", **{"quality.score": 0.7}),  # same day, better quality
        doc("u1", prose(rng, 80), day=4, url="http://Shop.example.com:80/item/?utm_source=mail"),
        doc("u2", prose(rng, 80), day=6, url="https://shop.example.com/item#reviews"),
        doc("u3", prose(rng, 80), day=5, url="https://shop.example.com/item?id=2"),
        doc("n1", prose(rng, 80), day=5),
    ]
    result = run(docs, [UrlDedup(SETTINGS, annotate=False), ExactDedup(SETTINGS, annotate=False)], tmp_path)
    kept = sorted(i for i, row in result.items() if row["kept"])
    assert kept == ["e3", "n1", "u2", "u3"]
    assert result["u1"]["dup_cluster"] == "u2" and result["u1"]["rejected_by"] == ["dedup_url.duplicate"]
    assert result["e1"]["dup_cluster"] == result["e2"]["dup_cluster"] == "e3"
    assert result["e2"]["rejected_by"] == ["dedup_exact.duplicate"]


def test_annotate_mode_marks_without_dropping(tmp_path) -> None:
    rng = random.Random(8)
    text = prose(rng, 100)
    docs = [doc("x", text, day=1), doc("y", text, day=2), doc("z", prose(rng, 100))]
    result = run(docs, [ExactDedup(SETTINGS, annotate=True), MinHashDedup(SETTINGS, annotate=True)], tmp_path)
    assert all(row["kept"] for row in result.values())
    assert result["x"]["rejected_by"] == ["dedup_exact.duplicate", "dedup_minhash.duplicate"]
    assert result["x"]["dup_cluster"] == "y" and result["z"]["rejected_by"] == []


def test_line_dedup_counts_lines_across_documents(tmp_path) -> None:
    rng = random.Random(11)
    footer = "Copyright 2024 Example Media. All rights reserved."
    menu = "Home | News | Sport | Weather"
    docs = []
    for i in range(10):
        lines = [prose(rng, 60), footer if i < 7 else prose(rng, 10)]  # footer in 7 documents: > 6
        if i < 6:
            lines.append(menu)  # menu in 6 documents: not more than 6, kept
        docs.append(doc(f"d{i}", "\n".join(lines)))
    docs.append(doc("boiler", f"{footer}\nOK."))  # 8th footer; losing it loses most of the page
    result = run(docs, [LineDedup(SETTINGS, annotate=False)], tmp_path)
    for i in range(10):
        row = result[f"d{i}"]
        assert row["kept"]
        assert footer not in row["text"]
        assert (menu in row["text"]) == (i < 6)
        assert row["signals"]["dedup_line.lines_removed"] == float(i < 7)
        assert row["signals"]["dedup_line.chars_removed"] == (len(footer) + 1 if i < 7 else 0)
    boiler = result["boiler"]
    assert not boiler["kept"] and boiler["rejected_by"] == ["dedup_line.removed_share"]
    assert boiler["text"] == "OK."
    share = (len(footer) + 1) / (len(footer) + 4)
    assert boiler["signals"]["dedup_line.removed_share"] == pytest.approx(share)


def test_line_dedup_buckets_split_the_counts(tmp_path) -> None:
    rng = random.Random(12)
    footer = "Subscribe to our newsletter for weekly updates"
    docs = [doc(f"d{i}", f"{prose(rng, 40)}\n{footer}") for i in range(12)]
    # Buckets of 2 documents on average: no bucket can hold the footer more than 6 times.
    settings = DedupConfig(line=LineDedupConfig(bucket_docs=2))
    result = run(docs, [LineDedup(settings, annotate=False)], tmp_path)
    assert all(footer in row["text"] and row["kept"] for row in result.values())


def test_keeper_is_the_same_with_one_and_two_workers(planted, tmp_path) -> None:
    docs, _ = planted
    stages = [ExactDedup(SETTINGS, annotate=False), MinHashDedup(SETTINGS, annotate=False)]
    one = run(docs, stages, tmp_path / "one")
    two = run(docs, stages, tmp_path / "two", workers=2)
    assert one == two
    assert sum(not row["kept"] for row in one.values()) >= 3


def _components(edges: list[tuple[int, int]], max_rounds: int, out: Path) -> tuple[dict[int, int], int]:
    with beam.Pipeline(runner="FnApiRunner") as p:
        labels, changed = p | beam.Create(edges) | ConnectedComponents(max_rounds)
        for name, pcoll in (("labels", labels), ("changed", changed)):
            rows = pcoll | f"Json{name}" >> beam.Map(json.dumps)
            _ = rows | f"Write{name}" >> beam.io.WriteToText(str(out / name))
    labels = dict(json.loads(line) for path in out.glob("labels*") for line in path.open())
    (changed_count,) = [json.loads(line) for path in out.glob("changed*") for line in path.open()]
    return labels, changed_count


def test_connected_components_match_union_find(tmp_path) -> None:
    rng = random.Random(9)
    # A long path (worst case for label propagation), a hub of 300 leaves (a hot bucket) and random trees.
    edges = [(i, i + 1) for i in range(100, 164)] + [(1000, 1001 + i) for i in range(300)]
    edges += [(rng.randrange(2000, 2400), rng.randrange(2000, 2400)) for _ in range(300)]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    expected = {node: find(node) for node in parent if find(node) != node}
    labels, changed = _components(edges, 12, tmp_path / "full")
    assert labels == expected and changed == 0
    # Too few rounds: it reports the unfinished work, leaves some duplicates unlabelled (kept), and
    # never links across components.
    partial, changed = _components(edges, 1, tmp_path / "partial")
    assert changed > 0 and set(partial) < set(expected)
    assert all(find(node) == find(label) and label < node for node, label in partial.items())


def test_hot_bucket_links_linearly(tmp_path) -> None:
    with beam.Pipeline(runner="FnApiRunner") as p:
        pairs = p | beam.Create([("boilerplate", f"n{i:04d}") for i in range(2000)] + [("rare", "n9999")])
        edges = pairs | LinkToBest()
        _ = edges | beam.Map(json.dumps) | beam.io.WriteToText(str(tmp_path / "edges"))
    edges = [json.loads(line) for path in tmp_path.glob("edges*") for line in path.open()]
    assert len(edges) == 1999 and {keeper for _, keeper in edges} == {"n0000"}
