"""Dedup Beam transforms on FnApiRunner with generated prose: planted exact, near and distinct pages."""

from __future__ import annotations

import json
import random
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.beam.components import ConnectedComponents
from pipeline.beam.dedup import DocumentDedup, MinHashDedup, url_members
from pipeline.beam.joins import JoinOne, LinkToBest
from pipeline.dedup.minhash import shingles
from schemas.config import DedupConfig, LineDedupConfig, MinHashDedupConfig
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
    x, y = shingles(a, 5), shingles(b, 5)
    return len(x & y) / len(x | y)


def doc(doc_id: str, text: str, day: int = 1, url: str | None = None, **signals: float) -> Document:
    return Document(
        id=doc_id, source=f"test:{doc_id}", text=text, url=url,
        fetched_at=f"2024-05-{day:02d}T12:00:00Z", signals=dict(signals),
    )


DOCUMENT, MINHASH = "document", "minhash"


class Rows(dict):
    """{id: row} of a run, with the MinHash counts of the run in `stats`."""

    def __init__(self, rows: dict, stats: dict):
        super().__init__(rows)
        self.stats = stats


def run(
    docs: list[Document], out: Path, steps=(DOCUMENT, MINHASH), settings: DedupConfig | None = None,
    annotate: bool = False, workers: int = 1,
) -> dict[str, dict]:
    """Runs the dedup transforms; returns {id: row} with a `kept` flag (and the MinHash stats under
    the key "stats"), read back from files."""
    settings = settings or SETTINGS
    args = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"] if workers == 2 else []
    with beam.Pipeline(runner="FnApiRunner", options=PipelineOptions(args)) as p:
        kept = p | beam.Create(docs)
        rejected, errors, stats = [], [], []
        if DOCUMENT in steps:
            urls = kept | "Urls" >> beam.FlatMap(url_members, settings=settings)
            kept, dropped, failed, _ = kept | "Document" >> DocumentDedup(urls, settings, annotate)
            rejected.append(dropped)
            errors.append(failed)
        if MINHASH in steps:
            kept, dropped, failed, _, counted = kept | "MinHash" >> MinHashDedup(settings, annotate)
            rejected.append(dropped)
            errors.append(failed)
            stats.append(counted)
        rows = (
            kept | "Kept" >> beam.Map(lambda d: json.dumps(dict(d.to_row(), kept=True))),
            rejected | "Rejected" >> beam.Flatten(pipeline=p)
            | "RejectedRows" >> beam.Map(lambda d: json.dumps(dict(d.to_row(), kept=False))),
            errors | "Errors" >> beam.Flatten(pipeline=p)
            | "ErrorRows" >> beam.Map(lambda e: json.dumps({"error": e.id})),
            stats | "Stats" >> beam.Flatten(pipeline=p) | "SumStats" >> beam.CombinePerKey(sum)
            | "StatRows" >> beam.Map(lambda kv: json.dumps({"stat": kv})),
        )
        _ = rows | beam.Flatten() | beam.io.WriteToText(str(out / "rows"))
    result, counted = {}, {}
    for path in sorted(out.glob("rows*")):
        for line in path.open():
            row = json.loads(line)
            assert "error" not in row, row
            if "stat" in row:
                counted[row["stat"][0]] = row["stat"][1]
                continue
            row["signals"] = dict(row["signals"])
            result[row["id"]] = row
    assert len(result) == len(docs)  # conservation: every document comes out exactly once
    return Rows(result, stats=counted)


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
    result = run(docs, tmp_path, [MINHASH])
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


def test_a_chain_removes_only_what_is_similar_to_the_keeper(tmp_path) -> None:
    rng = random.Random(3)
    words = prose(rng, 260).split(" ")
    a, b, c = (" ".join(words[k : k + 200]) for k in (0, 15, 30))
    assert jaccard(a, b) >= 0.8 and jaccard(b, c) >= 0.8 and jaccard(a, c) < 0.8
    docs = [doc("a", a, day=3), doc("b", b, day=2), doc("c", c, day=1)]
    result = run(docs, tmp_path, [MINHASH])
    # b is a near-duplicate of the keeper a and goes; c resembles a only through b: it stays
    assert sorted(i for i in "abc" if result[i]["kept"]) == ["a", "c"]
    assert result["b"]["dup_cluster"] == "a" and result["c"]["dup_cluster"] is None
    assert result.stats["dedup_minhash.kept_not_similar_to_keeper"] == 1


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
    result = run(docs, tmp_path, [DOCUMENT])
    kept = sorted(i for i, row in result.items() if row["kept"])
    assert kept == ["e3", "n1", "u2", "u3"]
    assert result["u1"]["dup_cluster"] == "u2" and result["u1"]["rejected_by"] == ["dedup_url.duplicate"]
    assert result["e1"]["dup_cluster"] == result["e2"]["dup_cluster"] == "e3"
    assert result["e2"]["rejected_by"] == ["dedup_exact.duplicate"]


def test_annotate_mode_marks_without_dropping(tmp_path) -> None:
    rng = random.Random(8)
    text = prose(rng, 100)
    docs = [doc("x", text, day=1), doc("y", text, day=2), doc("z", prose(rng, 100))]
    result = run(docs, tmp_path, annotate=True)
    assert all(row["kept"] for row in result.values())
    assert result["x"]["rejected_by"] == ["dedup_exact.duplicate", "dedup_minhash.duplicate"]
    assert result["x"]["dup_cluster"] == "y" and result["z"]["rejected_by"] == []


# the defaults: one shard, one count per bundle; 3: lines counted in 4 shards, flushed every 5 keys
@pytest.mark.parametrize("small", [False, True])
def test_line_dedup_counts_lines_across_documents(tmp_path, monkeypatch, small) -> None:
    import pipeline.beam.dedup as dedup

    if small:
        monkeypatch.setattr(dedup, "LINE_SHARD_DOCS", 3)
        monkeypatch.setattr(dedup._CountLines, "FLUSH_KEYS", 5)
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
    result = run(docs, tmp_path, [DOCUMENT])
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
    result = run(docs, tmp_path, [DOCUMENT], settings)
    assert all(footer in row["text"] and row["kept"] for row in result.values())


def test_keeper_is_the_same_with_one_and_two_workers(planted, tmp_path) -> None:
    docs, _ = planted
    one = run(docs, tmp_path / "one")
    two = run(docs, tmp_path / "two", workers=2)
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


def test_join_one_spills_a_hot_key_and_spreads_it(tmp_path, monkeypatch) -> None:
    import pipeline.beam.joins as joins

    monkeypatch.setattr(joins, "SPILL_ITEMS", 50)  # items beyond 50 per group wait on disk
    items = [("hot", i) for i in range(3000)] + [("cold", -1), ("none", -2)]
    with beam.Pipeline(runner="FnApiRunner") as p:
        values = p | "Values" >> beam.Create([("hot", "H"), ("cold", "C"), ("unused", "U")])
        for spread in (1, 7):
            joined = p | f"Items{spread}" >> beam.Create(items) | f"Join{spread}" >> JoinOne(values, spread)
            _ = (
                joined
                | f"Json{spread}" >> beam.Map(json.dumps)
                | f"Write{spread}" >> beam.io.WriteToText(str(tmp_path / f"joined{spread}"))
            )
    for spread in (1, 7):
        rows = [json.loads(line) for path in tmp_path.glob(f"joined{spread}*") for line in path.open()]
        assert sorted(rows) == sorted([[i, "H"] for i in range(3000)] + [[-1, "C"], [-2, None]])


def test_minhash_verification_decides_on_both_sides_of_the_threshold(tmp_path) -> None:
    """Pairs planted just above and just below Jaccard 0.8: candidates both, verified only above."""
    rng = random.Random(21)
    base = prose(rng, 400)
    words = base.split(" ")
    docs, truth = [doc("base", base, day=9)], {}
    for k in range(40):
        edits = set(rng.sample(range(len(words)), 6 + k % 8))  # 6-13 edited words of ~400
        copy = " ".join(rng.choice(WORDS[:40]) if i in edits else w for i, w in enumerate(words))
        docs.append(doc(f"c{k:02d}", copy, day=1))
        truth[f"c{k:02d}"] = jaccard(base, copy)
    near = [s for s in truth.values() if 0.77 <= s <= 0.83]
    assert sum(s >= 0.8 for s in near) >= 3 and sum(s < 0.8 for s in near) >= 3, sorted(truth.values())
    # 60 bands of 4 rows make every pair above 0.6 a candidate: the verification decides
    settings = DedupConfig(minhash=MinHashDedupConfig(bands=60, rows=4, num_perm=256))
    result = run(docs, tmp_path, [MINHASH], settings)
    assert result["base"]["kept"]
    for name, similarity in truth.items():  # documents this short are compared exactly
        assert result[name]["kept"] == (similarity < 0.8), (name, similarity)
        if not result[name]["kept"]:
            assert result[name]["signals"]["dedup_minhash.similarity"] == pytest.approx(similarity, abs=1e-3)
