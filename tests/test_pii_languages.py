"""Real pages in German, French and Japanese (Debian's translated manuals) come out of the PII stage intact:
no English model runs on them, so their capitalized nouns and foreign names stay; their contact data alone
is redacted. Skips when the debian-reference and maint-guide translations are not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.pii import PiiRedactor
from pipeline.pii.stage import PiiStage
from schemas.config import PiiConfig
from schemas.document import Document

PAGES = {
    "de": ("/usr/share/debian-reference/ch01.de.html", "/usr/share/doc/maint-guide-de/html/start.de.html"),
    "fr": ("/usr/share/debian-reference/ch02.fr.html", "/usr/share/doc/maint-guide-fr/html/start.fr.html"),
    "ja": ("/usr/share/debian-reference/ch03.ja.html", "/usr/share/doc/maint-guide-ja/html/start.ja.html"),
}


def page_text(path: str) -> str:
    """The paragraphs of a real HTML page, as an extractor would give them."""
    if not Path(path).is_file():
        pytest.skip(f"{path} is not installed (apt-get install debian-reference-* maint-guide-*)")
    tree = lxml_html.parse(path)
    return "\n\n".join(" ".join(p.text_content().split()) for p in tree.iter("p", "dd", "li", "h2", "h3"))


@pytest.mark.parametrize(("lang", "path"), [(lang, p) for lang, paths in PAGES.items() for p in paths])
@pytest.mark.parametrize("person", ["contact", "all"])
def test_translated_pages_are_left_intact(lang, path, person):
    text = page_text(path)
    assert len(text) > 5000
    doc = Document(id=path, source="debian", text=text, lang=lang)
    assert PiiStage(PiiConfig(person=person)).process(doc) == []
    assert doc.text == text and doc.pii == {} and doc.signals["pii.density"] == 0.0


def test_an_english_model_would_have_damaged_them():
    """What the language gate prevents: English NER over German prose finds "persons" in common nouns."""
    text = page_text(PAGES["de"][0])
    names = PiiRedactor(PiiConfig(person="all")).find_batch([text], ["en"])[0]
    assert sum(entity == "PERSON" for *_, entity, _ in names) > 0


@pytest.mark.parametrize(
    ("lang", "contact", "kept"),
    [
        ("de", "Ansprechpartner: Jürgen Weiß, Tel. 030 9018 2000, juergen.weiss@web.de", "Jürgen Weiß"),
        ("fr", "Contact : Amélie Lefèvre, tél. 01 42 68 53 00, amelie.lefevre@orange.fr", "Amélie Lefèvre"),
        ("ja", "連絡先：山田太郎、電話 03-1234-5678、taro.yamada@example.co.jp", "山田太郎"),
    ],
)
def test_contact_data_in_a_translated_page_is_redacted_and_the_rest_kept(lang, contact, kept):
    text = page_text(PAGES[lang][1])
    doc = Document(id=lang, source="debian", text=f"{text}\n\n{contact}", lang=lang)
    PiiStage().process(doc)
    assert doc.text.startswith(text)  # the page itself byte for byte
    assert kept in doc.text  # no name model for this language
    assert doc.pii == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
