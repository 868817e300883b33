"""End to end through Beam's DirectRunner on the generated corpus: outputs, verify, errors, determinism."""

from __future__ import annotations

import glob
import json
import os

import pyarrow.parquet as pq
import pytest

from pipeline.beam.cli import main
from pipeline.beam.outputs import verify_output
from schemas.document import Document
from schemas.hashing import stable_id
from tools.sample_corpus import SampleTruth, generate

EXPECTED_ERROR = {
    "bad_http_headers": "bad HTTP headers",
    "binary_body": "ExtractionError:",
    "truncated_gzip": "truncated record",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[str, SampleTruth]:
    path = str(tmp_path_factory.mktemp("corpus"))
    return path, generate(path, pages=200, seed=11)


def _run(corpus_dir: str, out: str, *extra: str) -> int:
    return main(
        ["run", "--input", f"{corpus_dir}/*.warc.gz", "--output", out, "--runner", "DirectRunner", *extra]
    )


@pytest.fixture(scope="module")
def one_worker(corpus, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("out1"))
    assert _run(corpus[0], out) == 0
    return out


def _docs(out: str, kind: str) -> dict[str, Document]:
    docs = {}
    for path in sorted(glob.glob(f"{out}/{kind}/*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            doc = Document.from_row(row)
            doc.__dict__["path"] = path
            docs[doc.id] = doc
    return docs


def _errors(out: str) -> list[dict]:
    return [json.loads(line) for path in sorted(glob.glob(f"{out}/errors/*.jsonl")) for line in open(path)]


def test_outputs_are_conserved_and_verify_passes(corpus, one_worker, capsys):
    _, truth = corpus
    assert verify_output(one_worker) == []
    assert main(["verify", one_worker]) == 0
    manifest = json.load(open(os.path.join(one_worker, "manifest.json")))
    rows, rejected, errors = _docs(one_worker, "shards"), _docs(one_worker, "rejected"), _errors(one_worker)
    kept = [d for d in rows.values() if d.copy_of is None]  # the mixture's repeats are extra rows
    assert manifest["counts"]["input"] == len(truth.records)
    assert len(kept) + len(rejected) + len(errors) == len(truth.records)
    assert manifest["counts"]["kept"] == len(kept) > len(truth.records) // 2
    assert manifest["counts"]["rows"] == len(rows) == len(kept) + manifest["counts"]["copies"]
    # domains: what the shards hold per domain, repeats included
    assert sum(d["tokens"] for d in manifest["domains"].values()) == sum(d.tokens for d in rows.values())
    assert sum(d["rows"] for d in manifest["domains"].values()) == len(rows)


def test_a_tampered_output_fails_verify(corpus, one_worker, tmp_path, capsys):
    import shutil

    copy = str(tmp_path / "copy")
    shutil.copytree(one_worker, copy)
    (victim,) = glob.glob(f"{copy}/errors/*.jsonl")[:1]
    lines = open(victim).readlines()
    open(victim, "w").writelines(lines[1:])
    assert main(["verify", copy]) == 1
    printed = capsys.readouterr().out
    assert "sha256" in printed and "rows != manifest" in printed and "input records" in printed


def test_every_broken_record_is_in_errors_with_its_reason(corpus, one_worker):
    corpus_dir, truth = corpus
    errors = {e["source"]: e for e in _errors(one_worker)}
    broken = [r for r in truth.records if r.expected_error]
    assert {r.expected_error for r in broken} == set(EXPECTED_ERROR)
    for record in broken:
        error = errors[f"{corpus_dir}/{record.file}@{record.offset}"]
        assert error["error"].startswith(EXPECTED_ERROR[record.expected_error]), error
        assert error["stage"] in ("read", "extract")


def test_rejected_documents_carry_reasons_and_signals(corpus, one_worker):
    rejected = _docs(one_worker, "rejected")
    assert rejected
    stages = set()
    for doc in rejected.values():
        stage = os.path.basename(os.path.dirname(doc.__dict__["path"]))
        assert doc.rejected_by and all(reason.split(".")[0] for reason in doc.rejected_by)
        assert doc.rejected_by[0].split(".", 1)[0] == stage
        stages.add(stage)
        if stage.startswith("dedup_") and stage != "dedup_line":
            # a removed duplicate names its keeper and how similar it was
            assert doc.dup_cluster and doc.dup_cluster != doc.id
            assert f"{stage}.similarity" in doc.signals
        elif stage not in ("extract", "mixture"):  # the mixture's sampled-out documents read no signal
            assert doc.text, doc.id
            # a threshold rule is named after the signal it reads
            assert any(reason in doc.signals for reason in doc.rejected_by), (doc.rejected_by, doc.signals)
    assert len(stages) >= 2
    manifest = json.load(open(os.path.join(one_worker, "manifest.json")))
    for reason, count in manifest["reasons"].items():
        assert count["all"] == sum(reason in d.rejected_by for d in rejected.values())
        assert count["first"] == sum(d.rejected_by[0] == reason for d in rejected.values())


def test_same_output_with_two_multiprocessing_workers(corpus, one_worker, tmp_path):
    out = str(tmp_path / "out2")
    assert _run(corpus[0], out, "--workers", "2") == 0
    for kind in ("shards", "rejected"):
        a, b = _docs(one_worker, kind), _docs(out, kind)
        assert sorted(a) == sorted(b)
        assert all(a[i].text == b[i].text and a[i].rejected_by == b[i].rejected_by for i in a)
    shards = lambda o: {s["path"]: s["sha256"] for s in json.load(open(f"{o}/manifest.json"))["shards"]}  # noqa: E731
    assert shards(one_worker) == shards(out)


def test_rerun_into_same_directory_needs_overwrite(corpus, one_worker, capsys):
    assert _run(corpus[0], one_worker) == 2
    assert "pass --overwrite" in capsys.readouterr().err


def test_ids_are_stable_hashes_of_file_and_offset(corpus, one_worker):
    _, truth = corpus
    kept = [d for d in _docs(one_worker, "shards").values() if d.copy_of is None]  # copies: "<id>#k"
    by_url = truth.by_url()
    for doc in kept[:20]:
        record = by_url[doc.url]
        assert doc.id == stable_id(record.file, str(record.offset))
        assert doc.source_id == record.record_id  # the WARC-Record-ID, kept as given


def test_math_and_code_pages_come_out_right_in_the_shards(corpus, one_worker):
    _, truth = corpus
    kept = {d.url: d for d in _docs(one_worker, "shards").values()}
    math = [r for r in truth.records if r.kind == "math" and r.url in kept]
    code = [r for r in truth.records if r.kind == "code" and r.url in kept]
    assert len(math) >= 0.9 * sum(r.kind == "math" for r in truth.records)
    assert len(code) >= 0.9 * sum(r.kind == "code" for r in truth.records)
    for record in math:
        doc = kept[record.url]
        assert doc.domain == "math"
        for latex in record.latex:
            assert latex in doc.text, (record.math_rendering, latex)
    for record in code:
        doc = kept[record.url]
        lines = set(doc.text.splitlines())
        for block in record.code:
            # every line kept with its exact indentation: the sample's code comes from ten templates, so
            # its lines repeat across more than 6 documents, and line dedup leaves code lines of code pages
            missing = [line for line in block.splitlines() if line.strip() and line not in lines]
            assert not missing, (record.url, missing)


def test_code_pages_are_routed_to_the_code_domain(corpus, one_worker):
    _, truth = corpus
    kept = {d.url: d for d in _docs(one_worker, "shards").values()}
    code = [r for r in truth.records if r.kind == "code" and r.url in kept]
    assert code and all(kept[r.url].domain == "code" for r in code)


def test_junk_is_rejected_for_its_reasons_and_pii_is_redacted(corpus, one_worker):
    _, truth = corpus
    by_url = truth.by_url()
    rejected = {d.url: d for d in _docs(one_worker, "rejected").values()}
    kept = {d.url: d for d in _docs(one_worker, "shards").values()}
    for record in truth.records:
        if record.kind in ("spam", "keyword_stuffed", "log_dump"):
            assert record.url in rejected, record.kind
    pii_docs = [kept[r.url] for r in truth.records if r.kind == "pii" and r.url in kept]
    assert pii_docs
    for doc in pii_docs:
        for value in by_url[doc.url].pii:
            if value.type in ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN"):
                assert value.value not in doc.text, value
        assert sum(doc.pii.values()) > 0 and doc.signals["pii.EMAIL_ADDRESS"] == doc.pii.get(
            "EMAIL_ADDRESS", 0
        )
    manifest = json.load(open(os.path.join(one_worker, "manifest.json")))
    totals: dict[str, int] = {}
    for doc in kept.values():
        for kind, n in doc.pii.items():
            totals[kind] = totals.get(kind, 0) + n
    assert manifest["pii_redacted"] == dict(sorted(totals.items()))
    assert manifest["pii_redacted"]["EMAIL_ADDRESS"] > 0
