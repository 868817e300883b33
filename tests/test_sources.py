"""Readers: every input record becomes exactly one Document or one ErrorRecord, split reads included."""

import gzip
import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from pipeline.beam.sources import ReadTask, detect_format, plan_tasks, read_task
from schemas.config import InputConfig
from schemas.document import Document, ErrorRecord

LINES = [{"id": f"doc-{i}", "text": f"Document number {i} " + "word " * (i % 17), "url": f"https://e.org/{i}"}
         for i in range(500)]


def _read_all(path: str, size: int, cfg: InputConfig):
    out = []
    for task in plan_tasks(path, size, cfg):
        out.extend(read_task(task, cfg))
    return out


def test_detect_format():
    assert detect_format("a/CC-MAIN-1.warc.gz") == "warc"
    assert detect_format("x.warc.wet.gz") == "wet"
    assert detect_format("x.jsonl.zst") == "jsonl"
    assert detect_format("x.parquet") == "parquet"
    assert detect_format("x.txt", "jsonl") == "jsonl"


def test_jsonl_split_into_ranges_reads_each_line_once(tmp_path):
    path = tmp_path / "big.jsonl"
    data = "".join(json.dumps(obj) + "\n" for obj in LINES).encode()
    path.write_bytes(data)
    cfg = InputConfig(split_bytes=2**16)
    tasks = plan_tasks(str(path), len(data), cfg)
    # a tiny split size (the smallest allowed) cuts lines at arbitrary bytes
    assert len(tasks) == -(-len(data) // 2**16)
    docs = _read_all(str(path), len(data), cfg)
    assert [d.source_id for d in docs] == [obj["id"] for obj in LINES]
    assert [d.text for d in docs] == [obj["text"] for obj in LINES]
    assert len({d.id for d in docs}) == len(LINES)  # ids hash file and offset: unique by construction


def test_jsonl_split_boundary_on_line_start(tmp_path):
    # lines of exactly 2**16 bytes: every range starts on a line start
    line = json.dumps({"text": "x" * (2**16 - 13)}) + "\n"
    assert len(line) == 2**16
    path = tmp_path / "aligned.jsonl"
    path.write_text(line * 3)
    docs = _read_all(str(path), 3 * 2**16, InputConfig(split_bytes=2**16))
    assert len(docs) == 3
    assert len({d.id for d in docs}) == 3  # hashed ids from distinct offsets


def test_compressed_jsonl_and_field_names(tmp_path):
    rows = [{"doc_id": 7, "body": "Seven is a number.", "link": "https://seven.example"}]
    raw = "".join(json.dumps(r) + "\n" for r in rows).encode()
    cfg = InputConfig(id_field="doc_id", text_field="body", url_field="link")
    for name, blob in (("a.jsonl.gz", gzip.compress(raw)), ("a.jsonl.zst", zstandard.compress(raw))):
        path = tmp_path / name
        path.write_bytes(blob)
        (doc,) = _read_all(str(path), len(blob), cfg)
        assert (doc.source_id, doc.text, doc.url) == ("7", "Seven is a number.", "https://seven.example")


def test_broken_jsonl_lines_become_errors_with_reasons(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_bytes(
        b'{"text": "fine"}\n'
        b'{"text": "unterminated\n'
        b'{"title": "no text"}\n'
        b'[1, 2, 3]\n'
        b'{"text": "bad \xff\xfe bytes"}\n'
        b'{"text": 42}\n'
    )
    records = _read_all(str(path), path.stat().st_size, InputConfig())
    assert len(records) == 6
    assert isinstance(records[0], Document)
    errors = [r.error for r in records[1:]]
    assert all(isinstance(r, ErrorRecord) for r in records[1:])
    assert errors[0].startswith("invalid JSON")
    assert errors[1] == "text field 'text' missing"
    assert errors[2] == "JSON line is a list, not an object"
    assert errors[3].startswith("undecodable bytes")
    assert errors[4] == "text field 'text' not a string (int)"
    assert records[1].source == f"{path}@17"  # offset of the second line


def test_truncated_gzip_jsonl_keeps_what_was_read_and_reports_the_rest(tmp_path):
    raw = "".join(json.dumps(obj) + "\n" for obj in LINES).encode()
    blob = gzip.compress(raw)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(blob[: len(blob) // 2])
    records = _read_all(str(path), len(blob) // 2, InputConfig())
    assert isinstance(records[-1], ErrorRecord)
    assert "unreadable compressed data" in records[-1].error
    assert all(isinstance(r, Document) for r in records[:-1]) and len(records) > 10


def test_parquet_row_groups_are_separate_tasks(tmp_path):
    path = tmp_path / "dump.parquet"
    pq.write_table(pa.Table.from_pylist(LINES), path, row_group_size=64)
    cfg = InputConfig()
    size = path.stat().st_size
    tasks = plan_tasks(str(path), size, cfg)
    # each row group its task; the file's bytes shared among them for progress
    assert tasks == [ReadTask(str(path), "parquet", g, g + 1, size=size // 8) for g in range(8)]
    docs = _read_all(str(path), path.stat().st_size, cfg)
    assert [d.source_id for d in docs] == [obj["id"] for obj in LINES]


def test_parquet_without_text_column_reports_every_row(tmp_path):
    path = tmp_path / "notext.parquet"
    pq.write_table(pa.Table.from_pylist([{"body": "x"}] * 5), path)
    records = _read_all(str(path), path.stat().st_size, InputConfig())
    assert len(records) == 5 and all(isinstance(r, ErrorRecord) for r in records)


def _warc_member(i: int, http: bytes, kind: str = "response", level: int = 9) -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{i:08d}>\r\n"
            f"WARC-Date: 2024-01-0{i % 9 + 1}T00:00:00Z\r\nWARC-Target-URI: http://x.example/{i}\r\n"
            f"Content-Length: {len(http)}\r\n\r\n").encode()
    return gzip.compress(head + http + b"\r\n\r\n", compresslevel=level, mtime=0)


def test_warc_good_bad_and_truncated_records(tmp_path):
    page = b"<html><body><p>hello</p></body></html>"
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + page
    last = _warc_member(4, ok)
    data = (_warc_member(1, ok) + _warc_member(2, b"GARBAGE\r\n\r\n" + page)
            + _warc_member(3, b"plain extracted text", kind="conversion") + last[: len(last) // 2])
    path = tmp_path / "t.warc.gz"
    path.write_bytes(data)
    records = _read_all(str(path), len(data), InputConfig())
    assert len(records) == 4
    first, bad, wet, cut = records
    assert isinstance(first, Document) and first.html == page and first.url == "http://x.example/1"
    assert first.http_headers["content-type"] == "text/html; charset=utf-8"
    assert first.fetched_at == "2024-01-02T00:00:00Z"
    assert isinstance(bad, ErrorRecord) and bad.error.startswith("bad HTTP headers")
    assert isinstance(wet, Document) and wet.text == "plain extracted text" and wet.html is None
    assert isinstance(cut, ErrorRecord) and "truncated" in cut.error
    assert first.id != wet.id and len(first.id) == 40


def test_warc_broken_gzip_in_the_middle_reports_the_rest(tmp_path):
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x</p>"
    cut = _warc_member(2, ok)
    data = _warc_member(1, ok) + cut[: len(cut) // 2] + _warc_member(3, ok)
    path = tmp_path / "mid.warc.gz"
    path.write_bytes(data)
    records = _read_all(str(path), len(data), InputConfig())
    assert isinstance(records[0], Document)
    assert isinstance(records[-1], ErrorRecord) and "unreadable WARC data" in records[-1].error


def test_overlong_jsonl_line_is_an_error_and_reading_goes_on(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"text": "y" * 5000}) + "\n" + json.dumps({"text": "short"}) + "\n")
    records = _read_all(str(path), path.stat().st_size, InputConfig(max_record_bytes=1024))
    assert isinstance(records[0], ErrorRecord) and "exceeds input.max_record_bytes" in records[0].error
    assert isinstance(records[1], Document) and records[1].text == "short"
    assert records[1].source.endswith("@5013")


def _page(i: int, body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>page %d</p>" % i + body


def test_gzipped_warc_split_at_members_reads_each_record_once(tmp_path):
    rng = random.Random(7)
    # Incompressible bodies (gzip stores them verbatim) make members of 1-40 KB: ranges of 64 KiB
    # start inside members, which the reader must skip to the next member start.
    data = b"".join(_warc_member(i, _page(i, rng.randbytes(rng.randrange(1000, 40_000)))) for i in range(60))
    path = tmp_path / "many.warc.gz"
    path.write_bytes(data)
    whole = list(read_task(ReadTask(str(path), "warc"), InputConfig()))
    cfg = InputConfig(split_bytes=2**16)
    tasks = plan_tasks(str(path), len(data), cfg)
    assert len(tasks) == -(-len(data) // 2**16) and tasks[-1].end == len(data)
    split = [record for task in tasks for record in read_task(task, cfg)]
    assert len(whole) == 60 and all(isinstance(r, Document) for r in whole)
    # the same records with the same ids (file offsets), whatever the cut
    assert [(r.id, r.url, r.html) for r in split] == [(r.id, r.url, r.html) for r in whole]


def test_archived_warc_inside_a_record_is_not_taken_for_members(tmp_path):
    # A crawled .warc.gz file is incompressible: deflate stores it verbatim (level 0 here, to be sure of
    # it), so whole gzip members that open WARC records sit inside the outer member's data.
    rng = random.Random(11)
    inner = b"".join(_warc_member(100 + i, _page(i, rng.randbytes(3000))) for i in range(40))
    outer = [_warc_member(i, _page(i, rng.randbytes(2000))) for i in range(3)]
    archived = b"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\n\r\n" + inner
    outer.insert(1, _warc_member(9, archived, level=0))
    data = b"".join(outer)
    assert inner[:2000] in data  # the inner members are there, byte for byte
    path = tmp_path / "nested.warc.gz"
    path.write_bytes(data)
    cfg = InputConfig(split_bytes=2**16)
    split = [record for task in plan_tasks(str(path), len(data), cfg) for record in read_task(task, cfg)]
    assert [r.url for r in split] == [f"http://x.example/{i}" for i in (0, 9, 1, 2)]
    assert split[1].html.endswith(inner)


def test_single_gzip_stream_warc_is_read_by_its_first_range(tmp_path):
    rng = random.Random(3)
    records = [gzip.decompress(_warc_member(i, _page(i, rng.randbytes(20_000)))) for i in range(12)]
    data = gzip.compress(b"".join(records), mtime=0)  # one member for the whole file
    path = tmp_path / "onestream.warc.gz"
    path.write_bytes(data)
    cfg = InputConfig(split_bytes=2**16)
    tasks = plan_tasks(str(path), len(data), cfg)
    outcomes = [list(read_task(task, cfg)) for task in tasks]
    assert len(tasks) > 2
    assert [len(found) for found in outcomes] == [12] + [0] * (len(tasks) - 1)
    assert all(isinstance(r, Document) for r in outcomes[0])


def test_files_are_cut_into_sixteen_ranges_of_a_mebibyte_or_more():
    cfg = InputConfig()  # 64 MiB ranges
    assert len(plan_tasks("a.warc.gz", 40 * 2**20, cfg)) == 16
    assert len(plan_tasks("a.warc.gz", 5 * 2**20, cfg)) == 5
    assert len(plan_tasks("a.warc.gz", 2**19, cfg)) == 1
    assert len(plan_tasks("a.warc.gz", 2**30, cfg)) == 16
    assert len(plan_tasks("a.warc.gz", 2**31, cfg)) == 32
    assert len(plan_tasks("a.jsonl", 40 * 2**20, cfg)) == 16
    assert len(plan_tasks("a.warc", 40 * 2**20, cfg)) == 1  # uncompressed WARC: no reliable record start
    assert len(plan_tasks("a.jsonl.gz", 40 * 2**20, cfg)) == 1


def test_broken_member_loses_only_the_rest_of_its_range(tmp_path):
    rng = random.Random(5)
    members = [_warc_member(i, _page(i, rng.randbytes(rng.randrange(1000, 40_000)))) for i in range(60)]
    broken = bytearray(members[30])
    broken[len(broken) // 2 : len(broken) // 2 + 64] = bytes(64)  # its deflate data no longer decodes
    members[30] = bytes(broken)
    data = b"".join(members)
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(data)
    cfg = InputConfig(split_bytes=2**16)
    split = [record for task in plan_tasks(str(path), len(data), cfg) for record in read_task(task, cfg)]
    errors = [r for r in split if isinstance(r, ErrorRecord)]
    urls = [r.url for r in split if isinstance(r, Document)]
    assert len(errors) == 1 and "unreadable WARC data" in errors[0].error
    assert len(urls) == len(set(urls))
    # what precedes the broken member, and the ranges after its own, are read
    assert urls[:30] == [f"http://x.example/{i}" for i in range(30)]
    assert "http://x.example/59" in urls and "http://x.example/30" not in urls
