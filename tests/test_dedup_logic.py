"""Plain-Python dedup logic: URL and text normalization, keeper priority, line removal, signatures."""

from __future__ import annotations

import random
import string

import pytest

from classifiers.prose import is_code_line
from pipeline.dedup.keys import (
    key63,
    line_hashes,
    normalize_text,
    normalize_url,
    priority,
    remove_lines,
    stable_hash,
    text_key,
)
from pipeline.dedup.minhash import (
    SKETCH_SIZE,
    Signer,
    band_layout,
    shingles,
    signature_similarity,
    sketch_similarity,
)
from schemas.config import MinHashDedupConfig, UrlDedupConfig
from schemas.document import Document

URL = UrlDedupConfig()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTP://Example.COM/a/b", "http://example.com/a/b"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "http://example.com/a"),  # scheme ignored by default
        ("http://example.com/a/#section-2", "http://example.com/a"),
        ("http://example.com/a?utm_source=x&id=7&utm_campaign=y&fbclid=abc", "http://example.com/a?id=7"),
        ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com./a", "http://example.com/a"),
    ],
)
def test_url_variants_normalize_alike(a: str, b: str) -> None:
    assert normalize_url(a, URL) == normalize_url(b, URL)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://example.com:8080/a", "http://example.com/a"),  # a non-default port is another server
        ("http://example.com/a?id=7", "http://example.com/a?id=8"),
        ("http://example.com/A", "http://example.com/a"),  # paths are case-sensitive
        ("http://www.example.com/a", "http://example.com/a"),  # www kept unless strip_www
    ],
)
def test_distinct_urls_stay_distinct(a: str, b: str) -> None:
    assert normalize_url(a, URL) != normalize_url(b, URL)


def test_url_options_are_configurable() -> None:
    strict = UrlDedupConfig(
        ignore_scheme=False, strip_www=True, drop_trailing_slash=False, tracking_params=[]
    )
    assert normalize_url("https://www.e.com/a", strict) == normalize_url("https://e.com/a", strict)
    assert normalize_url("https://example.com/a", strict) != normalize_url("http://example.com/a", strict)
    assert normalize_url("https://example.com/a/", strict) != normalize_url("https://example.com/a", strict)
    assert normalize_url("https://e.com/?utm_source=x", strict) != normalize_url("https://e.com/", strict)


def test_urls_without_host_are_not_grouped() -> None:
    assert normalize_url("not a url", URL) is None
    assert normalize_url("http://[::1/broken", URL) is None


def test_text_normalization_ignores_case_punctuation_digits_and_accents() -> None:
    assert normalize_text("Café  au-lait, 2 cups!") == normalize_text("cafe au lait 7 CUPS")
    assert text_key("Hello,   World.") == text_key("hello world") < 2**63
    assert text_key("hello world") != text_key("hello there world")


def test_priority_prefers_newest_then_quality_then_smallest_id() -> None:
    old = Document(id="a", source="s", fetched_at="2023-01-01T00:00:00Z")
    new = Document(id="b", source="s", fetched_at="2024-01-01T00:00:00+00:00")
    undated = Document(id="0", source="s")
    assert min([old, new, undated], key=lambda d: priority(d, "q")).id == "b"
    good = Document(id="z", source="s", fetched_at="2024-01-01T00:00:00", signals={"q": 0.9})
    poor = Document(id="y", source="s", fetched_at="2024-01-01T00:00:00", signals={"q": 0.1})
    assert min([poor, good, new], key=lambda d: priority(d, "q")).id == "z"
    assert min([poor, good, new], key=lambda d: priority(d, None)).id == "b"


def test_stable_hash_is_fixed_across_processes() -> None:
    # blake2b, not hash(): this value must never change between runs or machines.
    assert stable_hash("line") == 0x36093EA6E992CEF0
    assert stable_hash("line") == stable_hash(b"line") != stable_hash("line ")


def test_line_hashes_fit_beams_integer_coder() -> None:
    """63-bit: a larger int is pickled element by element (896,000 of them on 1,543 real pages)."""
    words = ("".join("abcdefghij"[int(d)] for d in str(i)) for i in range(2000))  # digits fold to 0
    hashes = line_hashes("\n".join(f"line {w} of a page" for w in words) + "\n\n")
    assert hashes[-2:] == [None, None] and len(set(hashes[:-2])) == 2000
    assert all(0 <= h < 2**63 for h in hashes[:-2])
    assert max(hashes[:-2]) > 2**61  # the whole 63 bits are used


def test_remove_lines_counts_removed_lines_and_characters() -> None:
    text = "Intro paragraph here\nShare this page\nBody text\nshare THIS page!\n\nEnd"
    frequent = frozenset({key63(normalize_text("Share this page"))})
    result = remove_lines(text, frequent)
    assert result.text == "Intro paragraph here\nBody text\n\nEnd"
    assert result.lines_removed == 2
    assert result.chars_removed == len(text) - len(result.text) == 2 * 16 + 1
    assert result.removed_share == pytest.approx(result.chars_removed / len(text))


def test_remove_lines_leaves_protected_blocks_whole() -> None:
    """Code pages: a listing with a frequent code line stays whole, its output lines with it; frequent
    prose lines (a share bar, a heading) still go."""
    text = "Share this page\n\nExamples\n\n>>> x == x\nTrue\n>>> import numpy as np\n\nThe mean of a column."
    common = ("Share this page", "Examples", "True", ">>> import numpy as np")
    frequent = frozenset(key63(normalize_text(line)) for line in common)
    kept = remove_lines(text, frequent, protect=is_code_line)
    assert kept.text == "\n\n>>> x == x\nTrue\n>>> import numpy as np\n\nThe mean of a column."
    assert "True" not in remove_lines(text, frequent).text.split("\n")


def test_shingles_are_word_5_grams_of_normalized_text() -> None:
    grams = shingles("One two, THREE four five six", 5)
    assert grams == {"one two three four five", "two three four five six"}
    assert shingles("too short", 5) == {"too short"}
    assert shingles("  ... ", 5) == set()


def test_band_layout_default_and_derived() -> None:
    assert band_layout(MinHashDedupConfig()) == (20, 6)
    bands, rows = band_layout(MinHashDedupConfig(num_perm=128, bands=None, rows=None, threshold=0.8))
    assert bands * rows <= 128 and rows > 1
    with pytest.raises(ValueError, match="must not exceed num_perm"):
        MinHashDedupConfig(num_perm=64, bands=14, rows=8)


def exact_jaccard(a: str, b: str) -> float:
    x, y = shingles(a, 5), shingles(b, 5)
    return len(x & y) / len(x | y)


def test_signature_estimates_and_sketch_measures_jaccard() -> None:
    signer = Signer(MinHashDedupConfig())
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(400)]
    a = " ".join(words[:300])
    b = " ".join(words[30:330])
    exact = exact_jaccard(a, b)
    assert exact == pytest.approx(266 / 326)  # 296-shingle sets sharing 266
    sa, sb = signer.sketches(a), signer.sketches(b)
    assert abs(signature_similarity(sa.signature, sb.signature) - exact) < 0.1
    assert sa.complete and sketch_similarity(sa, sb) == pytest.approx(exact)  # short: compared exactly
    assert sa == Signer(MinHashDedupConfig()).sketches(a)  # the same on every worker
    keys = signer.band_keys(sa.signature)
    assert len(keys) == 20 and all(0 <= k < 2**63 for k in keys)
    assert signer.sketches("!!!") is None


def test_sketch_of_long_documents_decides_within_two_hundredths() -> None:
    signer = Signer(MinHashDedupConfig())
    rng = random.Random(8)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=5)) for _ in range(3000)]
    words = [rng.choice(vocabulary) for _ in range(12_000)]
    for rate in (0.02, 0.04, 0.06):
        edited = [rng.choice(vocabulary) if rng.random() < rate else w for w in words]
        a, b = " ".join(words), " ".join(edited)
        sa, sb = signer.sketches(a), signer.sketches(b)
        assert not sa.complete and len(sa.sketch) == 4 * SKETCH_SIZE  # only the bottom-k is kept
        assert sketch_similarity(sa, sb) == pytest.approx(exact_jaccard(a, b), abs=0.02)
