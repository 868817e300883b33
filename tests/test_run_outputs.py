"""What a run leaves for its three users, through the `curate` commands on real pipeline runs (DirectRunner)
over the generated corpus: tune on an annotated run keeps what a filter run keeps (and --write writes its
very shards), the funnel's first reasons add up, rejected rows carry their bounds, shards load in every
reader, audit marks the offending parts, reference builds the KL reference, the report renders."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from collections import Counter

import pyarrow.parquet as pq
import pytest

from pipeline.beam.cli import main
from pipeline.beam.outputs import verify_output
from pipeline.rules import RuleBook
from pipeline.stored import StoredRun
from pipeline.tune import evaluate, tune
from schemas.document import Document
from tools.sample_corpus import generate

STRICTER = [
    "filters.gopher_quality.rules.word_count={min: 100, max: 100000}",
    "filters.fineweb.rules.short_line_ratio={max: 0.5}",
]


def _run(corpus: str, out: str, *sets: str) -> None:
    args = ["run", "--input", f"{corpus}/*.warc.gz", "--output", out]
    for item in sets:
        args += ["--set", item]
    assert main(args) == 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("corpus"))
    generate(path, pages=120, seed=21)
    return path


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> str:
    """A fixed KL reference (`curate reference`): runs with different thresholds then score KL alike."""
    out = str(tmp_path_factory.mktemp("ref") / "ref.json")
    assert main(["reference", "--input", f"{corpus}/*.warc.gz", "--out", out, "--sample", "500"]) == 0
    return out


@pytest.fixture(scope="module")
def annotated(corpus, reference, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("annotated"))
    _run(corpus, out, "mode=annotate", f"filters.kl.reference={reference}")
    return out


@pytest.fixture(scope="module")
def filtered(corpus, reference, tmp_path_factory) -> str:
    """A filter run with the STRICTER thresholds."""
    out = str(tmp_path_factory.mktemp("filtered"))
    _run(corpus, out, f"filters.kl.reference={reference}", *STRICTER)
    return out


def _docs(out: str, kind: str) -> list[Document]:
    return [
        Document.from_row(r)
        for p in sorted(glob.glob(f"{out}/{kind}/*/*.parquet"))
        for r in pq.read_table(p).to_pylist()
    ]


def _manifest(out: str) -> dict:
    return json.load(open(os.path.join(out, "manifest.json")))


def test_tune_keeps_exactly_the_documents_a_filter_run_keeps(annotated, filtered, tmp_path, capsys):
    result, _ = tune(annotated, STRICTER)
    kept_by_filter = {d.id for d in _docs(filtered, "shards") if d.copy_of is None}
    kept_by_filter |= {d.id for d in _docs(filtered, "rejected") if d.rejected_by == ["mixture.sampled_out"]}
    kept_by_tune = set(result.cols.ids[result.after.kept])
    assert kept_by_tune == kept_by_filter
    assert len(kept_by_tune) < int(result.before.kept.sum())  # the stricter rules did reject more
    assert all("exact" in line and "APPROXIMATE" not in line for line in result.exactness), result.exactness
    # the same first reasons, document by document
    first = {
        i: result.after.reasons[f] for i, f in zip(result.cols.ids, result.after.first, strict=True) if f >= 0
    }
    rejected = {
        d.id: d.rejected_by[0]
        for d in _docs(filtered, "rejected")
        if d.rejected_by != ["mixture.sampled_out"]
    }
    assert first == rejected
    # --write: re-decided, mixed and written as the filter run writes them, to the byte
    out = str(tmp_path / "tuned")
    assert main(["tune", annotated, *sum((["--set", s] for s in STRICTER), []), "--write", out]) == 0
    printed = capsys.readouterr().out
    assert "gopher_quality.word_count: [50, 100000] -> [100, 100000]" in printed and "lost" in printed
    shards = lambda o: {s["path"]: s["sha256"] for s in _manifest(o)["shards"] if s["kind"] == "shards"}  # noqa: E731
    assert shards(out) == shards(filtered)
    by_stage = lambda o: sorted((d.rejected_by[0].split(".")[0], d.id) for d in _docs(o, "rejected"))  # noqa: E731
    assert by_stage(out) == by_stage(filtered)
    assert verify_output(out) == []


def test_tune_re_decides_each_stored_document_as_the_run_did(annotated):
    run = StoredRun(annotated)
    book = RuleBook(run.config(), run.stage_names)
    docs = list(run.documents("shards"))
    assert all(book.decide(d) == d.rejected_by for d in docs)
    decision = evaluate(book, run.columns())
    firsts = Counter(decision.reasons[f] for f in decision.first if f >= 0)
    manifest = _manifest(annotated)
    assert firsts == Counter(
        {r: n["first"] for r, n in manifest["reasons"].items() if n["first"] and r != "mixture.sampled_out"}
    )
    with pytest.raises(Exception, match="extract.fmt: tune re-decides rules"):
        tune(annotated, ["extract.fmt=markdown"])


def test_first_reasons_add_up_and_annotate_mode_counts_would_be_rejections(annotated, filtered):
    manifest = _manifest(filtered)
    counts = manifest["counts"]
    assert sum(r["first"] for r in manifest["reasons"].values()) == counts["rejected"]
    assert sum(stage["rejected"] for stage in manifest["funnel"]) == counts["rejected"]
    rejected = _docs(filtered, "rejected")
    assert len(rejected) == counts["rejected"]
    for reason, n in manifest["reasons"].items():
        assert n["first"] == sum(d.rejected_by[0] == reason for d in rejected)
        assert n["all"] == sum(reason in d.rejected_by for d in rejected)
        assert n["first_tokens"] == sum(d.tokens for d in rejected if d.rejected_by[0] == reason)
    # the funnel chains: what leaves a stage reaches the next, documents and tokens
    funnel = manifest["funnel"]
    for before, after in zip(funnel, funnel[1:], strict=False):
        assert (before["out"], before["out_tokens"]) == (after["in"], after["in_tokens"])
    assert funnel[-1]["stage"] == "mixture" and funnel[-1]["out"] == counts["kept"]
    assert counts["input"] == counts["kept"] + counts["rejected"] + counts["errors"]
    assert counts["rows"] == counts["kept"] + counts["copies"]
    # annotate mode: nothing dropped, flagged documents are not kept, the funnel counts would-be rejections
    manifest = _manifest(annotated)
    counts = manifest["counts"]
    docs = _docs(annotated, "shards")
    assert counts["rejected"] == 0 and counts["copies"] == 0 and len(docs) == counts["rows"]
    assert counts["kept"] == sum(not d.rejected_by for d in docs) and counts["flagged"] == sum(
        bool(d.rejected_by) for d in docs
    )
    assert counts["kept_tokens"] == sum(d.tokens for d in docs if not d.rejected_by)
    would = manifest["funnel"][-1]["rejected"]
    assert sum(r["first"] for r in manifest["reasons"].values()) == counts["flagged"] + would
    assert {stage["stage"]: stage["rejected"] for stage in manifest["funnel"] if stage["rejected"]}
    assert sum(manifest["domains"][b]["tokens"] for b in manifest["domains"]) == counts["kept_tokens"]
    assert manifest["mixture"]["applied"] is False


def test_rejected_rows_carry_the_bounds_that_applied_to_them(filtered):
    run = StoredRun(filtered)
    book = RuleBook(run.config())
    rejected = _docs(filtered, "rejected")
    with_bounds = 0
    for doc in rejected:
        for reason in doc.rejected_by:
            stage, rule = reason.split(".", 1)
            applied = (
                book.stages[stage].rules_for(doc.domain, doc.lang).get(rule) if stage in book.stages else None
            )
            if applied is None:
                assert reason not in doc.bounds
            else:
                assert doc.bounds[reason] == (applied.min, applied.max)
                with_bounds += 1
    assert with_bounds
    word_count = [d for d in rejected if d.rejected_by[0] == "gopher_quality.word_count"]
    assert word_count and all(d.bounds["gopher_quality.word_count"] == (100.0, 100000.0) for d in word_count)
    langid = [d for d in rejected if d.rejected_by[0] == "langid.score" and d.lang == "en"]
    assert all(d.bounds["langid.score"] == (0.65, None) for d in langid)  # the English override


def test_shards_load_untouched_in_datasets_duckdb_pandas_and_polars(filtered, tmp_path, monkeypatch):
    manifest = _manifest(filtered)
    paths = sorted(glob.glob(f"{filtered}/shards/*/*.parquet"))
    assert all(os.path.basename(p).startswith("part-") and "-of-" in p for p in paths)
    schemas = {pq.read_schema(p) for p in paths + glob.glob(f"{filtered}/rejected/*/*.parquet")}
    assert len(schemas) == 1
    rows = manifest["counts"]["rows"]

    import pandas

    frame = pandas.concat([pandas.read_parquet(p) for p in paths])
    assert len(frame) == rows
    first = frame.iloc[0]
    assert {e["key"] for e in first["signals"]} >= {"gopher_quality.word_count", "c4.sentence_count"}

    import duckdb

    got = duckdb.sql(
        f"select count(*), sum(tokens) from read_parquet('{filtered}/shards/*/*.parquet')"
    ).fetchall()[0]
    assert got == (rows, sum(s["tokens"] for s in manifest["shards"] if s["kind"] == "shards"))
    value = duckdb.sql(
        f"select list_filter(signals, lambda s: s.key = 'gopher_quality.word_count')[1].value "
        f"from read_parquet('{filtered}/shards/*/*.parquet') limit 1"
    ).fetchall()[0][0]
    assert value > 0

    import polars

    assert polars.read_parquet(paths).height == rows

    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    loaded = datasets.load_dataset("parquet", data_files=paths, split="train", cache_dir=str(tmp_path / "hf"))
    assert loaded.num_rows == rows
    assert isinstance(loaded[0]["signals"], list) and set(loaded[0]["signals"][0]) == {"key", "value"}
    repeats = [r for r in loaded if r["copy_of"] is not None]
    assert len(repeats) == manifest["counts"]["copies"]
    assert all(r["id"].startswith(r["copy_of"] + "#") for r in repeats)


def test_audit_samples_a_reason_with_the_offending_part_marked(annotated, capsys):
    reasons = _manifest(annotated)["reasons"]
    reason = "gopher_repetition.dup_5gram_char_ratio"
    assert reasons[reason]["all"] >= 2
    assert main(["audit", annotated, "--reason", reason, "--sample", "3", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"{reason}: {reasons[reason]['all']:,} documents fail it")
    assert "bound: max 0.15" in printed and "»" in printed and "«" in printed
    # deterministic, and a smaller sample is part of a larger one
    from pipeline.audit import Audit

    audit = Audit(StoredRun(annotated))
    small = [f.doc.id for f in audit.sample(reason, 2, seed=1)]
    assert small == [f.doc.id for f in audit.sample(reason, 3, seed=1)][:2]
    # a duplicate names its keeper and how similar it was
    dup = audit.sample("dedup_exact.duplicate", 1)
    assert dup and dup[0].keeper is not None and dup[0].keeper.id == dup[0].doc.dup_cluster
    # PII placeholders are marked where the PII rule knows them
    pii = [d for d in _docs(annotated, "shards") if d.pii]
    from pipeline.audit import offending

    spans = offending("pii.density", pii[0], audit.cfg)
    assert spans and all(pii[0].text[s:e].startswith("<") for s, e in spans)


def test_reference_is_deterministic_and_loads(corpus, reference, tmp_path):
    from filters.kl_divergence import UnigramReference

    again = str(tmp_path / "again.json")
    assert main(["reference", "--input", f"{corpus}/*.warc.gz", "--out", again, "--sample", "500"]) == 0
    assert open(again, "rb").read() == open(reference, "rb").read()
    loaded = UnigramReference.load(reference)
    assert loaded.tokenizer == "regex" and len(loaded.counts) > 1000 and loaded.calibration_scores


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")
def test_the_report_renders_offline_in_chromium(filtered, tmp_path):
    from PIL import Image

    page = tmp_path / "report.html"
    assert main(["report", filtered, "--out", str(page)]) == 0
    html = page.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in html
    assert html.count("<svg") >= 10 and "gopher_quality.word_count" in html
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1800",
            f"file://{page}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists(), proc.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # text, bars and histograms, not one flat colour
    non_white = sum(n for n, c in colors if c != (255, 255, 255))
    assert non_white > 0.03 * image.width * image.height
    blue = sum(n for n, (r, g, b) in colors if b > 150 and r < 100)  # the funnel's and histograms' bars
    assert blue > 2000
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_the_classifier_loop_reads_a_repeated_document_once(filtered):
    """`curate annotate` / `train-quality` read the shards: the mixture's repeats are not new documents."""
    from classifiers.corpus import read_documents

    counts = _manifest(filtered)["counts"]
    assert counts["copies"] > 0  # the generated corpus's small buckets are repeated
    docs = list(read_documents([f"{filtered}/shards/*/*.parquet"]))
    assert len(docs) == counts["kept"] == len({d.id for d in docs})
