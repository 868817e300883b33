"""Domain routing before language id: code and formulas found in any text, language id on the prose only,
math and code pages judged by their own rules; on Debian's real manuals when they are installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.domain import DomainRouter, code_token_share
from classifiers.fasttext_model import TrainParams, train
from classifiers.langid import LangId
from classifiers.prose import is_code_line, is_formula, split_text
from pipeline.extract import extract
from pipeline.registry import build_filters, load_config
from pipeline.text import TextViews
from schemas.document import Document
from schemas.hashing import stable_hash
from tools.sample_corpus import PageFactory, plan_corpus

CODE_LINES = [
    ">>> import numpy as np", "gap> Size( SymmetricGroup( 4 ) );", "(%i1) integrate(x^2, x);",
    "octave:1> A = [1 2; 3 4];", "$ sudo apt-get install python3-doc", "for i in range(10):",
    "int main(void) {", "return x * y;", "result = compute(a, b)", "np.linalg.solve(A, b)",
    "#include <stdio.h>", "}", "SELECT name FROM users WHERE id = 3;", "x[i][j] += a[i][k] * b[k][j];",
]
PROSE_LINES = [
    "The committee will publish its final report on the state of public libraries next spring.",
    "les règles pour Menu dans Debian ;", "German | Germany | ISO 646 | /usr/share/man/de_DE.646",
    "Bzr (Bazaar)", "Long-distance moving (nationwide service; excludes Alaska & Hawaii)",
    "See the file /usr/share/doc/debian-policy/copyright for details.",
    "既にテスト版 (testing) で利用可能になっているパッケージの依存関係を壊さないこと;",
]


@pytest.mark.parametrize("line", CODE_LINES)
def test_code_lines_are_found(line):
    assert is_code_line(line)


@pytest.mark.parametrize("line", PROSE_LINES)
def test_prose_lines_are_not_code(line):
    assert not is_code_line(line)


def test_formulas_are_told_from_shell_and_regex_text():
    for math in ("$x$", r"$\frac{a}{b}$", r"$$\begin{pmatrix} a & b \end{pmatrix}$$", "$(a+b)^2$",
                 r"$\mathrm{speed} = 3$", r"\(r_1 + r_2\)", r"\([0,1]^n\)", r"\([x]+[y]\)"):
        assert is_formula(math), math
    # sed's groups in debian-reference's regex table and examples routed its first chapter to math, in
    # every language: "\(1[a-z]*\)" three times
    for other in ("${RED}RED-TEXT$", r"\( -type d -a -perm 1777 \)", "$/=$", r"\(.*\)", '$prefix" -- "$',
                  r"\(1[a-z]*\)", r"\([^/]*\)", "$[0-9]+$"):
        assert not is_formula(other), other


def test_split_keeps_the_prose_and_counts_code_and_math():
    text = ("Solve the system with NumPy, as below.\n\n```python\nimport numpy as np\n"
            "x = np.linalg.solve(A, b)\n```\n\nThe solution satisfies $Ax = b$ exactly.\n>>> print(x)\n")
    parts = split_text(text)
    assert parts.prose == "Solve the system with NumPy, as below.\nThe solution satisfies   exactly."
    assert (parts.formulas, parts.code_lines) == (1, 5)


ENGLISH_WITH_CODE = "\n".join(
    ["Installing packages", "Use the package manager to install the documentation and read it offline. "
     "The commands below update the package lists, install the documentation and open the index page.",
     *["$ sudo apt-get update", "$ sudo apt-get install -y python3-doc python-scipy-doc",
       "$ ls /usr/share/doc/python3-doc/html/", "$ xdg-open /usr/share/doc/python3-doc/html/index.html",
       "$ dpkg -L python3-doc | grep -c html$", "$ export BROWSER=w3m; w3m index.html"] * 3,
     "If the index does not open, check that a browser is installed and that the path exists."]
)


def test_language_id_reads_the_prose_of_a_page_with_code():
    langid = LangId(LangId.Settings())
    whole_text_score = langid.predict(ENGLISH_WITH_CODE)[1]
    doc = Document(id="d", source="t", text=ENGLISH_WITH_CODE, domain="general")
    assert langid.process(doc) == []
    assert doc.lang == "en" and doc.lang_score > 0.65 > whole_text_score
    assert 0 < doc.signals["langid.prose_share"] < 0.5


def test_code_in_another_language_stays_code_and_prose_goes_to_multilingual():
    langid = LangId(LangId.Settings())
    german = ("Die Stadtverwaltung hat beschlossen, die alte Brücke über den Fluss im nächsten Jahr zu "
              "erneuern. Die Arbeiten beginnen im Frühjahr und dauern voraussichtlich zwei Jahre.")
    code = Document(id="c", source="t", text=german + "\n" + "\n".join(["x = f(y)", "return x;"] * 5))
    prose = Document(id="p", source="t", text=german)
    for doc in (code, prose):
        DomainRouter().process(doc)
        langid.process(doc)
    assert (code.domain, code.lang) == ("code", "de")
    assert (prose.domain, prose.lang) == ("multilingual", "de")


@pytest.fixture(scope="module")
def sample_pages():
    factory = PageFactory(11, plan_corpus(400, 11))
    return [factory.build(i) for i in range(400)]


def test_generated_math_and_code_pages_are_routed_from_their_html(sample_pages):
    router = DomainRouter()
    for kind in ("math", "code"):
        pages = [p for p in sample_pages if p.kind == kind]
        routed = []
        for page in pages:
            result = extract(page.body)
            doc = Document(id=page.url, source=page.url, text=result.text,
                           signals={f"extract.{k}": v for k, v in result.signals.items()})
            router.process(doc)
            routed.append(doc.domain)
        assert routed.count(kind) >= 0.95 * len(pages), (kind, routed)
    articles = [p for p in sample_pages if p.kind == "article"]
    docs = [Document(id=p.url, source="t", text=p.text) for p in articles]
    for doc in docs:
        router.process(doc)
    assert [d.domain for d in docs].count("general") >= 0.97 * len(articles)


def test_an_upstream_domain_is_kept():
    doc = Document(id="d", source="t", text="x = f(y)\n" * 10, domain="math")
    assert DomainRouter().process(doc) == [] and doc.domain == "math" and doc.signals == {}


def test_a_confident_fasttext_domain_model_decides(sample_pages, tmp_path):
    samples = [(p.kind, p.text) for p in sample_pages if p.kind in ("math", "code")]
    samples += [("general", p.text) for p in sample_pages if p.kind == "article"][:60]
    model = str(tmp_path / "domain.bin")
    train(samples, model, TrainParams(epoch=15))
    router = DomainRouter(DomainRouter.Settings(model=model, model_min_prob=0.5))
    router.setup()
    # prose about code, without a code line: the rules say general, the model knows the vocabulary
    code_page = next(p for p in sample_pages if p.kind == "code")
    lines = [line for line in code_page.text.split("\n") if line.strip()]
    prose_only = "\n".join(line for line in lines if not is_code_line(line.strip()))
    doc = Document(id="d", source="t", text=prose_only)
    router.process(doc)
    assert doc.signals["domain.model_code"] > 0.5 and doc.domain == "code"
    assert "model_code" in router.settings.signals


def test_code_token_share_is_low_for_prose_and_high_for_api_text():
    assert code_token_share(PROSE_LINES[0]) == 0
    assert code_token_share("scipy.linalg.solve(a, b, assume_a='gen', overwrite_a=False)") > 0.5


OCTAVE_STYLE = """<html><body><h1>Debugging</h1>
<p>When code stops in a function, the <code>dbstack</code> command lists the calls that led there, and
<code>dbup</code> and <code>dbdown</code> move through them. Type <kbd>dbcont</kbd> to go on, or
<code><var>dbquit</var></code> to leave debug mode and return to the prompt of the interpreter.</p>
<p>Breakpoints set with <code>dbstop</code> survive until the function file is changed on disk.</p>
</body></html>"""


def test_the_tokens_of_a_formula_are_not_code_tokens():
    prose = ("The proof rests on one observation about the norm of a vector and how it grows. " * 3).strip()
    text = f"{prose} Namely $\\|x\\|_2 = \\sqrt{{\\sum_{{i=1}}^{{n}} x_i^2}}$ and $a_{{ij}} = b_{{ji}}$ hold."
    doc = Document(id="m", source="t", text=text)
    DomainRouter().process(doc)
    assert code_token_share(text) >= 0.03  # read whole, the formulas look like code
    assert doc.signals["domain.code_token_share"] == 0 and doc.domain == "general"


def test_prose_marked_up_as_code_is_routed_to_code_and_plain_prose_is_not():
    result = extract(OCTAVE_STYLE.encode())
    marked = ["dbstack", "dbup", "dbdown", "dbcont", "dbquit", "dbstop"]  # <code><var>..</var></code> once
    assert result.signals["inline_code_chars"] == sum(map(len, marked))
    doc = Document(id="d", source="t", text=result.text,
                   signals={f"extract.{k}": v for k, v in result.signals.items()})
    DomainRouter().process(doc)
    assert code_token_share(doc.text) < 0.03 and doc.domain == "code"
    assert doc.signals["domain.inline_code_share"] >= 0.02
    plain = extract(OCTAVE_STYLE.replace("<code>", "<em>").replace("</code>", "</em>")
                    .replace("kbd>", "b>").replace("var>", "i>").encode())
    doc = Document(id="p", source="t", text=plain.text,
                   signals={f"extract.{k}": v for k, v in plain.signals.items()})
    DomainRouter().process(doc)
    assert plain.signals["inline_code_chars"] == 0 and doc.domain == "general"


DEBIAN = {  # package -> where its HTML lies; the routing benchmark covers them all (bench/classify.py)
    "python-scipy-doc": "/usr/share/doc/python-scipy-doc/html/tutorial",
    "python3-doc": "/usr/share/doc/python3.11-doc/html/library",
    "gap-doc": "/usr/share/gap/doc/ref",
}


@pytest.mark.skipif(not any(Path(p).is_dir() for p in DEBIAN.values()), reason="no Debian code manuals")
def test_real_code_manual_pages_land_in_code_or_math_and_survive_the_filters():
    cfg = load_config()
    views = TextViews()
    stages = [DomainRouter(cfg.classifiers["domain"]), LangId(cfg.classifiers["langid"], views),
              *build_filters(cfg, views)[:-1]]  # the KL filter needs the run's reference
    outcomes = []
    for root in (Path(p) for p in DEBIAN.values() if Path(p).is_dir()):
        pages = sorted(root.rglob("*.html"), key=lambda p: stable_hash(str(p)))[:15]
        for page in pages:
            result = extract(page.read_bytes())
            if len(result.text.split()) < 50:
                continue
            doc = Document(id=str(page), source=str(page), text=result.text,
                           signals={f"extract.{k}": v for k, v in result.signals.items()})
            reasons = [r for stage in stages for r in stage.process(doc)]
            outcomes.append((doc.domain in ("code", "math") and not reasons, str(page), doc.domain, reasons))
    assert sum(ok for ok, *_ in outcomes) >= 0.85 * len(outcomes), [o for o in outcomes if not o[0]]
