"""The whole filter stack on the generated sample corpus (tools/sample_corpus.py page texts), the KL
filter's ranking of outlier documents, reference determinism, and re-deciding from stored signals."""

from __future__ import annotations

import base64
import hashlib
import random
from collections import Counter

import pytest

from classifiers.langid import LangId
from filters.kl_divergence import KLDivergence, ReferenceBuilder, UnigramReference
from pipeline.registry import build_filters, load_config
from pipeline.text import HFTokenizer, TextViews, release
from schemas.config import Bounds, Config, ConfigError
from schemas.document import Document
from tools.sample_corpus import Page, PageFactory, plan_corpus

PAGES = 300
DEFAULTS = load_config()  # the published rules and the math/code overrides


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    factory = PageFactory(7, plan_corpus(PAGES, 7))
    return [factory.build(i) for i in range(PAGES)]


def to_doc(i: int, page: Page, domain_hints: bool = True) -> Document:
    # the extractor tags math and code pages; other pages get their domain later
    domain = page.kind if domain_hints and page.kind in ("math", "code") else None
    return Document(id=f"page-{i}", source=f"sample#{i}", text=page.text, domain=domain)


def run_stack(docs: list[Document], cfg: Config = DEFAULTS) -> list:
    """Language id then every filter, in pipeline order, with the KL reference built from `docs`."""
    views = TextViews()
    filters = [LangId(cfg.classifiers["langid"], views), *build_filters(cfg, views)]
    kl = filters[-1]
    builder = kl.corpus_builder()
    for doc in docs:
        builder.add(doc)
    kl.bind(builder.finalize())
    for doc in docs:
        for f in filters:
            doc.rejected_by += f.process(doc)
    return filters


@pytest.fixture(scope="module")
def judged(pages) -> tuple[list[Page], list[Document], list]:
    docs = [to_doc(i, p) for i, p in enumerate(pages)]
    return pages, docs, run_stack(docs)


def by_kind(judged, kind: str) -> list[Document]:
    pages, docs, _ = judged
    selected = [d for p, d in zip(pages, docs, strict=True) if p.kind == kind]
    assert selected, f"the sample corpus has no {kind} page"
    return selected


@pytest.mark.parametrize(
    "kind,reasons",
    [
        # link farms repeat the same anchors line after line
        ("spam", {"gopher_repetition.dup_line_ratio", "gopher_repetition.dup_10gram_char_ratio"}),
        # logs: timestamps and ids instead of words, repeated fields, no sentence punctuation
        (
            "log_dump",
            {
                "gopher_quality.alpha_words_ratio",
                "gopher_repetition.dup_5gram_char_ratio",
                "fineweb.line_punct_ratio",
                "c4.sentence_count",
            },
        ),
        # a handful of keywords over and over: top n-grams and no function words
        ("keyword_stuffed", {"gopher_repetition.top_2gram_char_ratio", "gopher_quality.stop_words"}),
    ],
)
def test_junk_pages_are_rejected_for_the_right_reasons(judged, kind, reasons):
    for doc in by_kind(judged, kind):
        assert reasons <= set(doc.rejected_by), (kind, doc.rejected_by)


@pytest.mark.parametrize("kind", ["article", "pii", "exact_dup", "near_dup", "math", "code"])
def test_good_pages_survive(judged, kind):
    for doc in by_kind(judged, kind):
        assert doc.rejected_by == [], (kind, doc.rejected_by, doc.text[:200])


def test_other_languages_go_to_the_multilingual_bucket(judged):
    pages, docs, _ = judged
    others = [(p, d) for p, d in zip(pages, docs, strict=True) if p.kind == "other_language"]
    assert {p.lang for p, _ in others} >= {"de", "fr", "ru", "zh"}
    for page, doc in others:
        assert (doc.lang, doc.domain, doc.rejected_by) == (page.lang, "multilingual", [])


def test_math_and_code_pages_need_their_domain_overrides(pages):
    kinds = ("math", "code")
    docs = [to_doc(i, p, domain_hints=False) for i, p in enumerate(pages) if p.kind in kinds]
    run_stack(docs)
    # judged as general prose, most of them would be lost (all survive with their domain: see above)
    for kind in kinds:
        judged = [
            d for d, p in zip(docs, (p for p in pages if p.kind in kinds), strict=True) if p.kind == kind
        ]
        lost = [d for d in judged if d.rejected_by]
        assert len(lost) > len(judged) / 2, kind
    assert any("c4.curly_bracket" in d.rejected_by for d in docs)


def test_every_signal_is_recorded_whether_the_page_passes_or_not(judged):
    pages, docs, filters = judged
    for doc in docs:
        for f in filters:
            recorded = f.own_signals(doc.signals)
            expected = set(f.Settings.signals) - {"stop_words", "score", "percentile", "oov_ratio"}
            assert expected <= set(recorded), (f.name, sorted(expected - set(recorded)))


def test_decisions_replay_from_stored_signals(judged):
    """`curate tune` re-decides from doc.signals, domain, lang and config only."""
    _, docs, filters = judged
    for doc in docs:
        replayed = [
            r for f in filters for r in f.decide_doc(f.own_signals(doc.signals), doc.domain, doc.lang)
        ]
        assert replayed == doc.rejected_by
    stored = Document.from_row(docs[0].to_row())
    assert stored.signals == docs[0].signals


# ---- KL divergence --------------------------------------------------------------------------------


def outliers(pages: list[Page]) -> dict[str, str]:
    rng = random.Random(3)
    blob = base64.encodebytes(rng.randbytes(3000)).decode()
    hashes = "\n".join(hashlib.sha256(f"file-{i}".encode()).hexdigest() for i in range(80))
    russian = "\n\n".join(p.text for p in pages if p.kind == "other_language" and p.lang == "ru")
    return {"base64": blob, "hashes": hashes, "russian": russian}


def test_kl_ranks_outlier_token_documents_far_above_prose(pages):
    views = TextViews()
    articles = [to_doc(i, p) for i, p in enumerate(pages) if p.kind in ("article", "pii")]
    sample, held_out = articles[::2], articles[1::2]
    builder = ReferenceBuilder(KLDivergence.Settings(), views)
    for doc in sample:
        builder.add(doc)
    reference = builder.finalize()
    kl = KLDivergence(views=views)
    kl.bind(reference)
    prose = []
    for doc in held_out:
        kl.process(doc)
        prose.append(doc.signals["kl.score"])
    odd = {}
    for name, text in outliers(pages).items():
        doc = Document(id=name, source="test", text=text)
        assert kl.process(doc) == ["kl.percentile"], name
        odd[name] = doc.signals["kl.score"]
        assert doc.signals["kl.oov_ratio"] > 0.9
    # far above: the least odd outlier is further from the reference than the most unusual prose page
    # by more than the whole spread of the prose pages
    spread = max(prose) - min(prose)
    assert min(odd.values()) > max(prose) + spread, (odd, min(prose), max(prose))
    assert sorted(prose)[len(prose) // 2] < reference.calibration_scores[-1]


def test_reference_is_the_same_whatever_the_merge_order(pages, tmp_path):
    views = TextViews()
    docs = [to_doc(i, p) for i, p in enumerate(pages[:90])]

    def partial(part: list[Document]) -> ReferenceBuilder:
        builder = ReferenceBuilder(KLDivergence.Settings(calibration_docs=20, smoothing=0.5), views)
        for doc in part:
            builder.add(doc)
        return builder

    one = partial(docs[:30]).merge([partial(docs[30:60]), partial(docs[60:])]).finalize()
    other = partial(docs[60:]).merge([partial(docs[:30]), partial(docs[30:60])]).finalize()
    assert one.to_json() == other.to_json()
    assert len(one.calibration_scores) == 20

    path = str(tmp_path / "reference.json.gz")
    one.save(path)
    loaded = UnigramReference.load(path)
    counts = Counter(views.of(docs[0]).tokens)
    assert loaded.score(counts) == one.score(counts)
    assert loaded.percentile(one.score(counts)[0]) == one.percentile(one.score(counts)[0])


def test_kl_reference_must_match_the_tokenizer(pages, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    texts = [p.text for p in pages if p.kind == "article"]
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=["[UNK]"]))
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))

    views = TextViews(HFTokenizer(str(path)))
    doc = Document(id="a", source="test", text=texts[0])
    assert views.count_tokens(doc) > len(views.of(doc).words)  # 400 subwords split many words
    builder = ReferenceBuilder(KLDivergence.Settings(), views)
    for i, text in enumerate(texts[:40]):
        builder.add(Document(id=str(i), source="test", text=text))
    reference = builder.finalize()
    assert reference.tokenizer.startswith("tokenizer.json:sha1:")
    kl = KLDivergence(views=views)
    kl.bind(reference)
    assert "kl.score" in (kl.process(doc) or doc.signals)
    with pytest.raises(ValueError, match="tokenizer"):
        KLDivergence(views=TextViews()).bind(reference)


def test_views_are_shared_and_follow_text_changes():
    views = TextViews()
    doc = Document(id="a", source="test", text="One two three.\nFour five.")
    first = views.of(doc)
    assert views.of(doc) is first and first.words == ["One", "two", "three", "Four", "five"]
    doc.text = "Six seven."
    assert views.of(doc).words == ["Six", "seven"]
    release(doc)
    assert "_filters_text_view" not in doc.__dict__


# ---- configuration --------------------------------------------------------------------------------


def test_settings_replace_rules_and_name_bad_keys():
    cfg = load_config(overrides=["filters.fineweb.rules.line_punct_ratio={min: 0.5}",
                                 "filters.fineweb.rules.short_line_ratio=null"])
    fineweb = {f.name: f for f in build_filters(cfg, TextViews())}["fineweb"]
    general = fineweb.settings.rules_for("general", "en")
    assert general["line_punct_ratio"] == Bounds(min=0.5)
    assert "short_line_ratio" not in general  # null disables the rule
    assert general["newline_word_ratio"] == Bounds(max=0.3)
    assert "line_punct_ratio" not in fineweb.settings.rules_for("code", "en")  # default code override

    for override, message in [
        ("filters.fineweb.rules.line_punct={min: 0.5}", r"filters\.fineweb\.rules\.line_punct: no such"),
        ("filters.gopher.rules.word_count=null", r"filters\.gopher: unknown stage"),
        ("filters.c4.overrides.domain.math.curly=null", r"c4\.overrides\.domain\.math\.curly: no such"),
        ("filters.c4.rules.curly_bracket={maximum: 1}", r"c4\.rules\.curly_bracket\.maximum: unknown key"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_config(overrides=[override])
    cfg = load_config(overrides=["filters.c4.enabled=false", "filters.kl.enabled=false"])
    assert [f.name for f in build_filters(cfg, TextViews())] == [
        "gopher_quality",
        "gopher_repetition",
        "fineweb",
        "dirty_words",
    ]


def test_stages_share_one_view_of_a_document_after_pickling():
    """Beam gives every stage its own unpickled copy of the views: they must still tokenize a text once,
    and a rewritten text (line dedup, PII) must get fresh words."""
    import pickle

    views = TextViews()
    first, second = pickle.loads(pickle.dumps(views)), pickle.loads(pickle.dumps(views))
    doc = Document(id="d", source="test", text="The same words for every filter.")
    assert first.of(doc) is second.of(doc)
    assert second.of(doc).words == ["The", "same", "words", "for", "every", "filter"]
    doc.text = "Rewritten text."
    assert first.of(doc).words == ["Rewritten", "text"]
    release(doc)
    assert "_filters_text_view" not in doc.__dict__
