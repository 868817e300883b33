"""Every heuristic rule with a document just inside and one just outside its default threshold.

Documents are built so that the rule's signal lands exactly on the threshold (inside: bounds are
inclusive) or one step past it; the test checks both the recorded signal and the decision.
"""

from __future__ import annotations

import math
import random
import string
from collections import Counter
from itertools import product

import pytest

from filters.c4 import C4
from filters.dirty_words import DirtyWords
from filters.fineweb import FineWeb
from filters.gopher_quality import GopherQuality
from filters.gopher_repetition import GopherRepetition
from filters.kl_divergence import KLDivergence, ReferenceBuilder
from pipeline.text import TextViews
from schemas.document import Document


def distinct_words(count: int, length: int = 5, skip: int = 0) -> list[str]:
    """`count` different lowercase words of `length` letters (none is an English stop word)."""
    letters = "bcdfghjklmnpqrstvwxz"  # consonants only: never "the", "and", ...
    words = ("".join(p) for p in product(letters, repeat=length))
    return [w for _, w in zip(range(count + skip), words, strict=False)][skip:]


def doc(text: str, lang: str | None = "en", domain: str | None = None) -> Document:
    return Document(id=str(hash(text)), source="test", text=text, lang=lang, domain=domain)


def run(filter_, document: Document) -> tuple[dict[str, float], list[str]]:
    failed = filter_.process(document)
    prefix = f"{filter_.name}."
    return {k[len(prefix) :]: v for k, v in document.signals.items() if k.startswith(prefix)}, failed


def assert_threshold(filter_, rule: str, inside: str, outside: str, inside_value, outside_value) -> None:
    """`inside` passes `rule` with signal `inside_value`; `outside` fails it with `outside_value`."""
    for text, value, fails in ((inside, inside_value, False), (outside, outside_value, True)):
        signals, failed = run(filter_, doc(text))
        assert signals[rule] == pytest.approx(value)
        assert (f"{filter_.name}.{rule}" in failed) is fails


def lines_of(words: list[str], per_line: int = 10) -> str:
    return "\n".join(" ".join(words[i : i + per_line]) for i in range(0, len(words), per_line))


# ---- Gopher quality -------------------------------------------------------------------------------


def with_stop_words(words: list[str]) -> list[str]:
    return ["the", "and", *words[2:]]


def quality_cases():
    w = distinct_words(400)
    yield "word_count", " ".join(with_stop_words(w[:50])), " ".join(with_stop_words(w[:49])), 50, 49
    three = [x[:3] for x in distinct_words(100, 3)]
    two_and_three = three[:-1] + ["bc"]
    yield "mean_word_length", " ".join(three), " ".join(two_and_three), 3.0, 2.99
    ten = distinct_words(100, 10)
    yield "mean_word_length", " ".join(ten), " ".join(ten[:-1] + [ten[-1] + "x"]), 10.0, 10.01

    def hashes(k: int) -> str:
        return " ".join(w[:100]) + " #" * k

    yield "hash_word_ratio", hashes(10), hashes(11), 0.1, 0.11

    def dots(k: int) -> str:
        return " ".join(w[:100]) + " ..." * k

    yield "ellipsis_word_ratio", dots(10), dots(11), 0.1, 0.11

    def bullets(k: int) -> str:
        return "\n".join(("- " if i < k else "") + " ".join(w[3 * i : 3 * i + 3]) for i in range(100))

    yield "bullet_lines_ratio", bullets(90), bullets(91), 0.9, 0.91

    def trailing(k: int) -> str:
        return "\n".join(" ".join(w[3 * i : 3 * i + 3]) + ("…" if i < k else ".") for i in range(100))

    yield "ellipsis_lines_ratio", trailing(30), trailing(31), 0.3, 0.31

    def numbers(k: int) -> str:
        return " ".join(w[: 100 - k] + [str(1000 + i) for i in range(k)])

    yield "alpha_words_ratio", numbers(20), numbers(21), 0.8, 0.79

    def stops(k: int) -> str:
        return " ".join(["the"] * k + w[: 100 - k])

    yield "stop_words", stops(2), stops(1), 2, 1


@pytest.mark.parametrize("rule,inside,outside,inside_value,outside_value", list(quality_cases()))
def test_gopher_quality_rule(rule, inside, outside, inside_value, outside_value):
    assert_threshold(GopherQuality(), rule, inside, outside, inside_value, outside_value)


def test_gopher_word_count_upper_bound():
    quality = GopherQuality()
    inside = " ".join(distinct_words(100_000, 4))
    assert "gopher_quality.word_count" not in quality.process(doc(inside))
    assert "gopher_quality.word_count" in quality.process(doc(inside + " zzzz"))


def test_stop_words_only_judge_languages_with_a_list():
    quality = GopherQuality()
    text = " ".join(distinct_words(80))
    german = doc(text, lang="de")
    assert "gopher_quality.stop_words" not in quality.process(german)
    assert "gopher_quality.stop_words" not in german.signals
    assert "gopher_quality.stop_words" in quality.process(doc(text, lang="en"))


# ---- Gopher repetition ----------------------------------------------------------------------------


def repeated_items(k: int, total: int, sep: str) -> str:
    """`total` items of 5 distinct words each, the first repeated so that `k` items are duplicates."""
    w = distinct_words(5 * total)
    items = [" ".join(w[5 * i : 5 * i + 5]) for i in range(total - k)]
    return sep.join(items[:1] * k + items)


def top_ngram_text(n: int, k: int, total_words: int = 1000) -> str:
    """`k` occurrences of one n-gram among distinct 5-letter fillers: char share k*n*5 / (total*5)."""
    gram = distinct_words(n, skip=50_000)
    fillers = iter(distinct_words(total_words))
    words: list[str] = []
    for _ in range(k):
        words += gram + [next(fillers)]
    words += [next(fillers) for _ in range(total_words - len(words))]
    return lines_of(words)


def duplicated_ngram_text(n: int, repeats: int, total_words: int) -> str:
    """An n-word block repeated `repeats` times among distinct fillers: coverage repeats*n / total."""
    return top_ngram_text(n, repeats, total_words)


def repetition_cases():
    yield "dup_line_ratio", repeated_items(30, 100, "\n"), repeated_items(31, 100, "\n"), 0.30, 0.31
    yield "dup_line_char_ratio", repeated_items(20, 100, "\n"), repeated_items(21, 100, "\n"), 0.20, 0.21
    yield "dup_para_ratio", repeated_items(30, 100, "\n\n"), repeated_items(31, 100, "\n\n"), 0.30, 0.31
    yield "dup_para_char_ratio", repeated_items(20, 100, "\n\n"), repeated_items(21, 100, "\n\n"), 0.2, 0.21
    for n, threshold, k in ((2, 0.20, 100), (3, 0.18, 60), (4, 0.16, 40)):
        outside = k * n / 1000 + n / 1000
        yield f"top_{n}gram_char_ratio", top_ngram_text(n, k), top_ngram_text(n, k + 1), threshold, outside
    for n, threshold, repeats in (
        (5, 0.15, 3),
        (6, 0.14, 7),
        (7, 0.13, 13),
        (8, 0.12, 3),
        (9, 0.11, 11),
        (10, 0.10, 2),
    ):
        total = round(repeats * n / threshold)
        inside = duplicated_ngram_text(n, repeats, total)
        outside = duplicated_ngram_text(n, repeats, total - 1)
        yield f"dup_{n}gram_char_ratio", inside, outside, threshold, repeats * n / (total - 1)


@pytest.mark.parametrize("rule,inside,outside,inside_value,outside_value", list(repetition_cases()))
def test_gopher_repetition_rule(rule, inside, outside, inside_value, outside_value):
    assert_threshold(GopherRepetition(), rule, inside, outside, inside_value, outside_value)


def test_overlapping_repeats_count_each_word_once():
    signals, _ = run(GopherRepetition(), doc("spam " * 40))
    assert signals["top_2gram_char_ratio"] == 1.0
    assert signals["dup_10gram_char_ratio"] == 1.0



def _ngram_coverage_by_counting(words: list[str]) -> dict[str, float]:
    """Gopher's n-gram signals the slow, plain way: every n-gram as a tuple, counted."""
    total = sum(map(len, words))
    signals = {}
    for n in range(2, 11):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        counts = Counter(grams)
        if n <= 4:
            best = max(counts.values(), default=0)
            top = next((g for g in grams if counts[g] == best), None) if best >= 2 else None
            starts = [i for i, g in enumerate(grams) if g == top]
        else:
            starts = [i for i, g in enumerate(grams) if counts[g] > 1]
        covered = {i + k for i in starts for k in range(n)}
        kind = "top" if n <= 4 else "dup"
        signals[f"{kind}_{n}gram_char_ratio"] = sum(len(words[i]) for i in covered) / total if total else 0.0
    return signals


def test_ngram_signals_match_plain_counting():
    """The n-gram signals are grouped among the positions whose shorter n-gram repeats: the figures must be
    those of counting every n-gram (ties of the top n-gram, overlaps, repeats of every length)."""
    vocabulary = distinct_words(6, length=3) + ["longerword", "x"]
    rng = random.Random(7)
    texts = [
        " ".join(rng.choice(vocabulary[:k]) for _ in range(rng.randint(1, 300)))
        for k in (2, 3, 5, 8)
        for _ in range(6)
    ]
    phrase = " ".join(distinct_words(12, skip=40))
    texts += [f"{phrase} {' '.join(distinct_words(30))} {phrase}", "a b a b c a b", "one two", "x"]
    for text in texts:
        signals, _ = run(GopherRepetition(), doc(text))
        expected = _ngram_coverage_by_counting(text.split())
        assert {k: signals[k] for k in expected} == pytest.approx(expected, abs=1e-12), text

# ---- C4 and FineWeb -------------------------------------------------------------------------------


def sentences(k: int, extra: str = "") -> str:
    w = distinct_words(10 * k + 10)
    return "\n".join(" ".join(w[10 * i : 10 * i + 6]) + "." for i in range(k)) + extra


def c4_cases():
    yield "sentence_count", sentences(5), sentences(4), 5, 4
    yield "lorem_ipsum", sentences(6), sentences(6, "\nLorem ipsum dolor sit amet."), 0, 1
    yield "curly_bracket", sentences(6), sentences(6, "\nThe map {a: b} is empty."), 0, 1


def fineweb_cases():
    w = distinct_words(2000)

    def punct(k: int) -> str:
        return "\n".join(" ".join(w[8 * i : 8 * i + 8]) + ("." if i < k else "") for i in range(100))

    yield "line_punct_ratio", punct(12), punct(11), 0.12, 0.11

    def short(k: int) -> str:
        return "\n".join(" ".join(w[8 * i : 8 * i + (2 if i < k else 8)]) for i in range(100))

    yield "short_line_ratio", short(67), short(68), 0.67, 0.68
    lines = [" ".join(w[4 * i : 4 * i + 4]) for i in range(200)]  # all 23 characters long

    def repeat(k: int) -> str:
        return "\n".join(lines[:1] * (k + 1) + lines[k + 1 :])

    yield "dup_line_char_ratio", repeat(2), repeat(3), 0.01, 0.015
    words = w[:100]

    def newlines(k: int) -> str:
        return "\n".join(" ".join(words[i * 100 // (k + 1) : (i + 1) * 100 // (k + 1)]) for i in range(k + 1))

    yield "newline_word_ratio", newlines(30), newlines(31), 0.30, 0.31


@pytest.mark.parametrize("rule,inside,outside,inside_value,outside_value", list(c4_cases()))
def test_c4_rule(rule, inside, outside, inside_value, outside_value):
    assert_threshold(C4(), rule, inside, outside, inside_value, outside_value)


def test_c4_line_rules_are_recorded():
    text = sentences(6, "\nPlease enable JavaScript to view this page.\nRead our privacy policy.\nshort line")
    signals, _ = run(C4(), doc(text))
    assert signals["javascript_line_ratio"] == signals["policy_line_ratio"] == pytest.approx(1 / 9)
    assert signals["kept_line_ratio"] == pytest.approx(6 / 9)


@pytest.mark.parametrize("rule,inside,outside,inside_value,outside_value", list(fineweb_cases()))
def test_fineweb_rule(rule, inside, outside, inside_value, outside_value):
    assert_threshold(FineWeb(), rule, inside, outside, inside_value, outside_value)


# ---- dirty words ----------------------------------------------------------------------------------


def test_dirty_word_ratio_threshold_and_word_boundaries():
    dirty = DirtyWords()
    words = distinct_words(100)
    signals, failed = run(dirty, doc(" ".join(words[:99] + ["Porn"])))
    assert (signals["count"], signals["ratio"]) == (1, 0.01)
    assert "dirty_words.ratio" not in failed
    signals, failed = run(dirty, doc(" ".join(words[:98] + ["porn", "XXX"])))
    assert (signals["count"], signals["ratio"]) == (2, 0.02)
    assert failed == ["dirty_words.ratio"]
    # inside other words, no match: "pornography" is listed, "scunthorpe"-style substrings are not
    signals, _ = run(dirty, doc("Unsporny passwordxxx and sluttery are not words of the list."))
    assert signals["count"] == 0


def test_dirty_words_use_the_document_language_and_phrases():
    dirty = DirtyWords()
    text = "Hier gibt es Pornos und live sex im Angebot, sagt die Werbung."
    signals, _ = run(dirty, doc(text, lang="de"))
    assert signals["count"] == 2  # "pornos" and the phrase "live sex"
    signals, _ = run(dirty, doc(text, lang="sw"))  # no list for Swahili: nothing counted
    assert signals["count"] == 0


def test_dirty_words_custom_list(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("# ours\nwidget\nblue widget\n", encoding="utf-8")
    dirty = DirtyWords(DirtyWords.Settings(lists={"en": str(path)}))
    signals, _ = run(dirty, doc("A blue widget and a Widget."))
    assert signals["count"] == 3  # two single words and one phrase


# ---- KL thresholds (scores themselves are tested on a corpus in test_filters_corpus.py) -------------


def test_kl_percentile_rule_and_min_tokens():
    views = TextViews()
    vocab = distinct_words(300)
    docs = [doc(" ".join(vocab[(7 * i + 13 * j) % 300] for j in range(60 + i))) for i in range(100)]
    settings = KLDivergence.Settings(min_tokens=50, calibration_docs=100)
    builder = ReferenceBuilder(settings, views)
    for i, d in enumerate(docs):
        d.id = f"doc-{i}"
        builder.add(d)
    reference = builder.finalize()
    kl = KLDivergence(settings, views)
    kl.bind(reference)
    scored = sorted(docs, key=lambda d: reference.score(Counter(views.of(d).tokens))[0])
    signals, failed = run(kl, scored[-2])  # 99 of 100 calibration docs score at most this
    assert signals["percentile"] == 0.99 and "kl.percentile" not in failed
    signals, failed = run(kl, scored[-1])
    assert signals["percentile"] == 1.0 and failed == ["kl.percentile"]
    short = doc(" ".join(vocab[:49]))
    signals, failed = run(kl, short)
    assert signals == {"tokens": 49} and failed == []
    signals, _ = run(kl, doc(" ".join(vocab[:50])))
    assert math.isfinite(signals["score"])


# ---- overrides ------------------------------------------------------------------------------------


def test_domain_override_wins_over_language_override():
    overrides = {
        "lang": {"en": {"line_punct_ratio": {"min": 0.5}}},
        "domain": {"code": {"line_punct_ratio": None}},
    }
    fineweb = FineWeb(FineWeb.Settings(overrides=overrides))
    text = "\n".join(f"line {c} has no punctuation at its end at all" for c in string.ascii_lowercase[:10])
    text += "\nEnd."
    assert fineweb.process(doc(text, lang="en", domain="code")) == []
    assert fineweb.process(doc(text, lang="en")) == ["fineweb.line_punct_ratio"]
    assert fineweb.process(doc(text, lang="fr")) == ["fineweb.line_punct_ratio"]  # default 0.12 applies
    relaxed = FineWeb(FineWeb.Settings(rules={"line_punct_ratio": {"min": 0.05}}))
    assert relaxed.process(doc(text, lang="fr")) == []
