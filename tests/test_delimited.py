"""Delimited spans in one pass: TeX math and fenced code found as before, pathological input handled."""

from __future__ import annotations

from pipeline.delimited import fenced_spans, paired_spans, tex_spans, without


def test_tex_spans_of_each_delimiter_and_pandoc_dollars():
    text = r"Let $x_1$ be \(a+b\) and $$\sum_i x_i$$ or \[ y = 2 \]; it costs $5 and $10, see $HOME."
    found = [text[s:e] for s, e in tex_spans(text)]
    assert found == ["$x_1$", r"\(a+b\)", r"$$\sum_i x_i$$", r"\[ y = 2 \]"]


def test_math_never_crosses_a_blank_line_and_unclosed_openers_end_the_search():
    text = "pid $$ of the shell\n\nand $$ again"
    assert tex_spans(text) == []
    assert paired_spans(text, "$$", "$$", paragraph_bound=False) == [(4, 27)]
    unmatched = r"\( " * 20_000 + r"then \(x\)"
    assert tex_spans(unmatched) == [(0, len(unmatched))]  # the first opener meets the only closer
    assert tex_spans(r"\( " * 20_000) == []


def test_fenced_blocks_closed_and_unclosed():
    text = "intro\n```python\nx = 1\n```\nmiddle\n~~~\nunclosed\nstill code"
    spans = fenced_spans(text)
    assert [text[s:e] for s, e in spans] == ["```python\nx = 1\n```", "~~~\nunclosed\nstill code"]
    assert without(text, spans, "\n") == "intro\n\n\nmiddle\n\n"
    assert fenced_spans("```\n" * 10_000)[:2] == [(0, 7), (8, 15)]  # fences pair up, line by line
