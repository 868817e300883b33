"""A fuzz corpus end to end: random bytes, truncated gzip, broken WARC headers, lone surrogates, NUL bytes, a
3 MB line, repeated ids, the same file matched twice, a 2,000-deep page, unmatched TeX delimiters.

Nothing crashes, `verify` passes, no id is written twice, and every bad record is in errors/ with a reason.
"""

from __future__ import annotations

import glob
import gzip
import json
import random
import shutil

import pyarrow.parquet as pq
import pytest

from pipeline.beam.cli import main
from pipeline.beam.outputs import verify_output
from tools.sample_corpus import generate

PROSE = (
    "The committee met on Tuesday to discuss the new library, which will open next spring near the river. "
    "Members agreed that the reading rooms should stay open late and that children need a room of their own. "
    "The architect showed drawings of a wooden roof, large windows and a small garden behind the building. "
)


def _warc(records: list[tuple[str, bytes]], broken_headers: bool = False) -> bytes:
    out = b""
    for i, (url, body) in enumerate(records):
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
        length = "Content-Lenght" if broken_headers and i % 2 else "Content-Length"
        head = (
            f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:fuzz-{i}>\r\n"
            f"WARC-Date: 2025-01-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\n{length}: {len(http)}\r\n\r\n"
        ).encode()
        out += gzip.compress(head + http + b"\r\n\r\n", mtime=0)
    return out


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    corpus = root / "in"
    corpus.mkdir()
    generate(str(corpus), pages=40, seed=5, files=1)
    (corpus / "truth.json").unlink()
    rng = random.Random(13)
    (corpus / "random.warc.gz").write_bytes(rng.randbytes(20_000))
    lines = [json.dumps({"id": f"t{i}", "text": PROSE * 3}) + "\n" for i in range(50)]
    packed = gzip.compress("".join(lines).encode(), mtime=0)
    (corpus / "truncated.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    deep = b"<html><body>" + b"<div>" * 2000 + PROSE.encode() * 5 + b"</div>" * 2000 + b"</body></html>"
    tex = b"<html><body><p>" + b"\\(" * 28_000 + b"</p><p>" + PROSE.encode() * 4 + b"</p></body></html>"
    (corpus / "pages.warc.gz").write_bytes(
        _warc([("https://deep.example/a", deep), ("https://tex.example/b", tex)])
        + _warc(
            [("https://h.example/1", b"<p>x</p>"), ("https://h.example/2", b"<p>y</p>")], broken_headers=True
        )
    )
    weird = [
        '{"id": "lone", "text": "A lone surrogate \\ud800 sits in this text. ' + PROSE + '"}',
        '{"id": "nul", "text": "NUL\\u0000bytes\\u0000inside. ' + PROSE + '"}',
        json.dumps({"id": "long", "text": (PROSE + "\n") * 10_000}),  # a 3 MB line
        *[json.dumps({"id": "same", "text": f"Copy {i}. " + PROSE * 2}) for i in range(4)],  # repeated ids
        json.dumps({"id": "tex", "text": "$" * 30_000 + " \\( " * 10_000 + PROSE}),
        '{"id": "cut", "text": "unterminated',
        "\x00\x01\x02 not json at all",
    ]
    (corpus / "weird.jsonl").write_text("\n".join(weird) + "\n", encoding="utf-8")
    shutil.copy(corpus / "weird.jsonl", corpus / "weird-copy.jsonl")  # the same content twice
    out = root / "out"
    status = main(
        [
            "run",
            "--input",
            f"{corpus}/*",
            f"{corpus}/weird.jsonl",  # weird.jsonl is matched twice
            "--output",
            str(out),
            "--set",
            "output.max_error_share=1.0",
        ]
    )
    return corpus, out, status


def _rows(out, kind):
    return [
        row
        for path in sorted(glob.glob(f"{out}/{kind}/**/*.parquet", recursive=True))
        for row in pq.read_table(path).to_pylist()
    ]


def _errors(out):
    return [json.loads(line) for path in sorted(glob.glob(f"{out}/errors/*.jsonl")) for line in open(path)]


def test_the_run_finishes_and_verifies(fuzz):
    _, out, status = fuzz
    assert status == 0
    assert verify_output(str(out)) == []


def test_no_id_is_written_twice(fuzz):
    _, out, _ = fuzz
    ids = [row["id"] for kind in ("shards", "rejected") for row in _rows(out, kind)]
    ids += [e["id"] for e in _errors(out) if e["id"]]
    assert len(ids) == len(set(ids))
    manifest = json.load(open(out / "manifest.json"))
    assert [f["path"] for f in manifest["inputs"]["files"]].count(f"{fuzz[0]}/weird.jsonl") == 1


def test_every_bad_record_is_in_errors_with_its_reason(fuzz):
    corpus, out, _ = fuzz
    errors = _errors(out)
    by_file: dict[str, list[str]] = {}
    for error in errors:
        assert error["error"] and error["stage"], error
        by_file.setdefault(error["source"].split("@")[0].rsplit("/", 1)[-1], []).append(error["error"])
    assert any("no WARC records" in e or "unreadable" in e for e in by_file["random.warc.gz"])
    assert any("unreadable compressed data" in e for e in by_file["truncated.jsonl.gz"])
    assert sum("truncated record" in e or "headers" in e for e in by_file["pages.warc.gz"]) >= 1
    for name in ("weird.jsonl", "weird-copy.jsonl"):
        reasons = by_file[name]
        assert sum(r.startswith("invalid JSON") for r in reasons) == 2, reasons


def test_odd_text_is_kept_valid_and_duplicates_are_caught(fuzz):
    _, out, _ = fuzz
    docs = _rows(out, "shards") + _rows(out, "rejected")
    by_source_id: dict[str, list[dict]] = {}
    for row in docs:
        by_source_id.setdefault(row["source_id"], []).append(row)
    lone = by_source_id["lone"]
    assert all("\ud800" not in row["text"] for row in lone)
    assert any("\ufffd" in row["text"] or row["rejected_by"] for row in lone)
    # the file copied under another name: its documents have their own ids, and exact dedup keeps one
    assert len(by_source_id["long"]) == 2
    assert sum(not row["rejected_by"] for row in by_source_id["long"]) <= 1
    # repeated input ids stay distinct documents (ids hash file and position), the input id kept as given
    assert len({row["id"] for row in by_source_id["same"]}) == len(by_source_id["same"]) == 8
    # the deep page and the page of unmatched TeX delimiters came through extraction
    urls = {row["url"] for row in docs}
    assert {"https://deep.example/a", "https://tex.example/b"} <= urls
