"""Person names, by policy: `contact` (a private person's name as part of their contact data), `all`
(every name NER confirms) or `none`; only for languages with an NER model configured.

Candidates are runs of capitalized name-like words. In `contact` mode they are looked for only around
contact data: next to an e-mail address, phone number or street address the page carries, after a
"Contact:" label, or under a letter's closing ("Best regards,"). A candidate in such a position is a name;
the others go to spaCy's NER (batched, on a short window around each). Under `contact` the name is
redacted where it is contact data; under `all` wherever the page repeats it.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.pii.hits import Hit
from pipeline.pii.lean_import import without_heavy_imports
from pipeline.pii.regions import Regions
from pipeline.pii.streets import MONTH_NAMES

with without_heavy_imports():
    import spacy
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.language import Language
    from spacy.tokens import Doc as SpacyDoc

# Capitalized software and project names: spaCy's small model tags them as PERSON in technical prose.
SOFTWARE_NAMES = tuple(
    "Django Flask NumPy Numpy SciPy Pandas Python Jupyter Matplotlib Keras PyTorch TensorFlow Torch "
    "Spark Kafka Hadoop Apache Linux Debian Ubuntu Fedora Git GitHub GitLab Emacs Vim Bash Docker "
    "Kubernetes Redis Nginx Postgres PostgreSQL MySQL SQLite Rust Ruby Rails Perl Java Scala Haskell "
    "Julia Sphinx Jekyll Hugo Ansible Jenkins Travis Windows Mac Unix Celery Gunicorn Tornado Sympy "
    "SymPy Cython Pip Conda Anaconda Homebrew Xorg Wayland Gnome GNOME Mozilla Firefox Chrome Safari "
    "Thunderbird Grub Systemd Samba Exim Postfix Dovecot Lintian Aptitude Dpkg Sid Bookworm Bullseye "
    "Buster Stretch Jessie Trixie Wheezy Squeeze Lenny Etch Sarge Woody Potato Slink Hamm Bo Rex Buzz "
    "Unicode Markdown Docstring".split()
)

# Latin letters by case, Latin-1, Latin Extended-A and Romanian's comma letters (Luboš, Michał, Nemeș):
# `re` has no \p{Lu}.
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽȘȚ"
_LOWER = "a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżžșț"
_NAME_WORD = (
    rf"(?:Mc[{_UPPER}][{_LOWER}]+|[{_UPPER}]['’][{_UPPER}][{_LOWER}]+"  # McBride, O'Neill, D'Angelo
    rf"|[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}]?[{_LOWER}]+)?|[A-Z]\.)"
)
_PARTICLES = ("van", "von", "der", "den", "de", "da", "di", "del", "della", "du", "la", "le", "dos", "das",
              "ten", "ter", "bin", "al")  # fmt: skip
_PARTICLE = "(?:" + "|".join(_PARTICLES) + ")"
_NAME_RUN = re.compile(rf"\b{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_NAME_WORD}){{1,3}}")
_NAME_WORD_RE = re.compile(_NAME_WORD)
_LOWER_WORD = re.compile(rf"[{_LOWER}]+")
_COMPANY_SUFFIX = re.compile(r",?\s(?:Inc|Ltd|LLC|GmbH|Corp|AG|SA|S\.A|B\.V|plc)\b")
# spaCy's small English model sees four tokens either side of a word (a depth-4 tok2vec of window 1):
# 24 characters, widened to the next whitespace, hold about six. Wider costs NER time per token and
# changed no decision on bench/pii (80 characters measured the same).
_NER_CONTEXT_CHARS = 24

# Words next to a name in technical text: bylines, credits, maintainer fields, correspondence.
_CUES_BEFORE = frozenset(
    "by to from with maintainer maintainers author authors uploader contact cc mr mrs ms dr prof dear "
    "hi hello thanks according credit courtesy signed-off-by reported-by reviewed-by acked-by tested-by "
    "co-authored-by".split()
)
_CUES_AFTER = frozenset(
    "wrote said says reported suggested explained added noted proposed maintains developed created "
    "designed replied asked".split()
)
# spaCy labels that mean "not a person" with more confidence than its PERSON/ORG confusion on foreign names.
_NOT_PERSON_LABELS = frozenset(
    {"GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE", "EVENT", "DATE", "TIME", "NORP"}
)
# Words that make a capitalized run an organisation, a document part or a technical term, not a name.
_ORG_WORDS = frozenset(
    "Types Type Classes Class Objects Object Options Operations Syntax Interface Algorithm Tutorial "
    "Protocol Methods Functions Function Modules Module Handlers Hosts Mapping Trigger Alias Polling "
    "Description Interpreters Errors Error Exceptions Exception Values Data Files File Strings String "
    "Commands Command Variables Arguments Parameters Settings Tools Support Overview Usage Introduction "
    "Basics Examples Notes Details Features Changes Release Version Foundation Project Software Inc Ltd "
    "Team University Institute Group Society Association Consortium Corporation Company Labs Systems "
    "Services Network Center Centre Council Committee Reference Manual Guide Library Package Server "
    "Client Kernel Policy Chapter Section Appendix Table Figure Example Note Warning True False None "
    "Office Department Desk Helpdesk Sales Street Road Avenue States Kingdom Republic Emirates "
    "Islands County Province Territory Region District City "
    # job titles beside a name in a contact line ("Tara Amin, Program Manager, at ...")
    "Manager Director Officer Specialist Coordinator Assistant Engineer Administrator President Secretary "
    "Editor Professor Instructor Advisor Adviser Representative Agent Consultant Analyst Chair Head Lead "
    "Supervisor Executive Associate Intern Fellow Counselor Counsellor Technician Clerk Receptionist".split()
)
# A month before a day number ends a name run: forums print the poster's name, then the date, on one line.
_MONTHS = MONTH_NAMES | frozenset("Januar Februar März Juni Juli Oktober Dezember".split())
_DAY_AFTER = re.compile(r"\.?[ \t]+\d{1,2}\b")
# Imperatives that open sentences of API documentation ("Return None if ...", "See Also").
_LEADING_VERBS = frozenset(
    f"{verb}{ending}"
    for verb in "Return Raise See Use Set Get Add Create Run Call Let Make Print Read Write Open Close Check "
    "Install Remove Delete Update".split()
    for ending in ("", "s")
)
# Stand-in names of documentation and law ("John Doe"), like the reserved example domains: no one's name.
PLACEHOLDER_NAMES = ("John Doe", "Jane Doe", "Joe Blow", "Joe Bloggs", "John Q. Public", "Joe Sixpack")

# Labels that introduce a contact, and the closings that sign a letter, in the languages of the web's
# largest shares (ours, from contact pages and letter-writing guides).
# The lookahead of first letters (the Kelvin sign is a K to IGNORECASE) lets the scan skip most positions
# before the case-insensitive alternation: twice as fast, the same matches.
_CONTACT_LABEL = re.compile(
    r"(?=[cCkKaArRpPvV\u212a連联担])"
    r"(?i:\b(?:contact(?:o|s)?|kontakt|ansprechpartner(?:in)?|contatto|contato|referente|contact person|"
    r"point of contact|responsable|verantwortlich)\b\s*(?:person\s*)?:)"
    r"|(?:連絡先|联系人|联系方式|担当)\s*[:：]?"
)
_CLOSING = re.compile(
    r"(?im:^[ \t]*(?:--|—|best regards|kind regards|regards|sincerely|yours sincerely|yours faithfully|"
    r"cheers|thanks|many thanks|best|mit freundlichen grüßen|viele grüße|beste grüße|cordialement|"
    r"bien cordialement|salutations|saludos(?: cordiales)?|atentamente|cordiali saluti|distinti saluti|"
    r"atenciosamente|cumprimentos|met vriendelijke groet(?:en)?|groeten)[ \t]*,?[ \t]*$)"
)
# Between a name and its contact datum: punctuation, brackets, and at most one label ("Maria Rossi, tel.").
_GAP = re.compile(
    r"[\s,;:<>()\[\]\"'|/–—-]*(?:(?i:tel|tél|phone|telefon|telefono|teléfono|telefone|fax|mobile|mobil|"
    r"cell|e-?mail|mail|courriel|correo|at)\.?:?[\s,;:<>()\[\]\"'|/–—-]*)?"
)
_CONTACT_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS")
_WINDOW = 80  # characters either side of a contact datum in which its owner's name is looked for
_SHORT_LINE = 60  # a line of a letter head or signature block, not a paragraph


# How a candidate came to be one, which decides what NER must say about it.
PLACED = "placed"  # in a contact position (beside its e-mail, after "Contact:"): a name, NER not asked
CUED = "cued"  # after "by", "Maintainer:", before "wrote": a name unless NER calls it a place or a thing
SEEN = "seen"  # anywhere else: a name only if NER says PERSON


@dataclass
class Page:
    """One document between the structured pass and the batched NER pass."""

    text: str
    lang: str | None
    regions: Regions
    hits: list[Hit]
    candidates: dict[tuple[str, int], str] = field(default_factory=dict)  # (phrase, offset) -> evidence


class NameCandidates:
    """Runs of capitalized name-like words and the test whether NER confirms one."""

    def __init__(self, software_names: Iterable[str]):
        self.software = frozenset(software_names)

    def runs(self, text: str, start: int, end: int, regions: Regions) -> Iterator[tuple[str, int]]:
        """(phrase, offset) of name-like runs in text[start:end], leading stop words and verbs dropped."""
        for match in _NAME_RUN.finditer(text, start, end):
            words = match.group().split()
            skip = 0
            while skip < len(words) and (words[skip].lower() in STOP_WORDS or words[skip] in _LEADING_VERBS):
                skip += 1
            if len(words) > skip and words[-1] in _MONTHS and _DAY_AFTER.match(text, match.end()):
                words.pop()  # a forum's "Brian September 29, 2025": the name, then a date
            phrase = " ".join(words[skip:])
            if (
                phrase in PLACEHOLDER_NAMES
                or not self.name_like(phrase, software=False)
                or regions.overlaps(*match.span())
            ):
                continue
            at = text.index(words[skip], match.start())
            if not _COMPANY_SUFFIX.match(text, at + len(phrase)):
                yield phrase, at

    def name_like(self, phrase: str, software: bool = True) -> bool:
        """Two or more capitalized name words (particles aside), none an organisation word, nor (with
        `software`) a software name: Hugo and Julia are names beside an e-mail address, programs in prose."""
        words = [w for w in phrase.split() if w not in _PARTICLES]
        return (
            sum(not w.endswith(".") for w in words) >= 2
            and not words[-1].endswith(".")
            and all(_NAME_WORD_RE.fullmatch(w) and w not in _ORG_WORDS for w in words)
            and not (software and any(w in self.software for w in words))
        )

    def confirm(self, doc: SpacyDoc, at: int, phrase: str, evidence: str) -> bool:
        """Whether the candidate at `at` in `doc` is a name.

        spaCy's small model tags PERSON reliably on English names but often calls other names ORG or
        nothing (it calls "Dustin Nguyen <akang@...>" an ORG, "Nuala Hearn, USCGC ..." a GPE); a cued
        candidate therefore stands unless NER gives the whole phrase a label that is surely not a
        person's ("Hugo" alone as EVENT does not count). Placed candidates do not reach NER.
        """
        end = at + len(phrase)
        overlapping = [e for e in doc.ents if e.start_char < end and e.end_char > at]
        if any(e.label_ == "PERSON" for e in overlapping):
            return evidence != SEEN or self.name_like(phrase)
        if evidence != CUED:
            return False
        return not any(
            e.label_ in _NOT_PERSON_LABELS and e.start_char <= at and e.end_char >= end for e in overlapping
        )


def _written_in_lower_case(text: str, word: str) -> bool:
    """Whether `text` also has `word` as a whole lowercase word ("types" for "Types")."""
    lower = word.lower()
    if not _LOWER_WORD.fullmatch(lower):
        return False
    at = text.find(lower)
    while at >= 0:  # str.find and two character checks: far cheaper than tokenizing the page
        before, after = text[at - 1 : at], text[at + len(lower) : at + len(lower) + 1]
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            return True
        at = text.find(lower, at + 1)
    return False


def _cued(text: str, start: int, end: int) -> bool:
    """A name cue right before (`by`, `Maintainer:`) or after (`wrote`) the span."""
    before = text[max(0, start - 40) : start].split()[-1:]
    after = text[end : end + 40].split()[:1]
    return bool(before and before[0].strip(":,;(").lower() in _CUES_BEFORE) or bool(
        after and after[0].strip(".,;:)").lower() in _CUES_AFTER
    )


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The line holding [start, end), and the line above when it is short (a name over its address or
    number in a letter or signature block), at most _WINDOW characters either side."""
    line_start = text.rfind("\n", 0, start) + 1
    if line_start:
        above = text.rfind("\n", 0, line_start - 1) + 1
        if line_start - above <= _SHORT_LINE:
            line_start = above
    line_end = text.find("\n", end)
    return max(line_start, start - _WINDOW), min(len(text) if line_end < 0 else line_end, end + _WINDOW)


class PersonNames:
    """PERSON hits by policy, batched over pages (see the module docstring)."""

    def __init__(self, mode: str, models: Mapping[str, str], software_names: Iterable[str], batch_size: int):
        self.mode = mode
        self.models = dict(models) if mode != "none" else {}
        self.batch_size = batch_size
        self.candidates = NameCandidates(software_names)

    def nlp(self, lang: str) -> Language:
        """The NER pipeline of `lang`'s model."""
        return load_ner(self.models[lang])

    def load(self) -> None:
        """Loads every configured model now (a stage's setup), not at the first name candidate: a local
        worker server loads them once for all the workers it forks."""
        for lang in self.models:
            self.nlp(lang)

    def add_candidates(self, page: Page) -> None:
        """Fill `page.candidates`: nothing without a model for the page's language."""
        if page.lang not in self.models:
            return
        if self.mode == "all":
            self._everywhere(page)
        else:
            self._near_contacts(page)

    def _everywhere(self, page: Page) -> None:
        text = page.text
        seen: set[str] = set()
        for phrase, at in self.candidates.runs(text, 0, len(text), page.regions):
            if phrase in seen or not self.candidates.name_like(phrase):
                continue
            seen.add(phrase)
            cued = _cued(text, at, at + len(phrase))
            # a phrase whose last word the page also writes in lower case ("Numeric Types" beside
            # "types") is a capitalized common noun, not a name
            if cued or not _written_in_lower_case(text, phrase.split()[-1]):
                page.candidates[(phrase, at)] = CUED if cued else SEEN

    def _near_contacts(self, page: Page) -> None:
        """Candidates around contact data: a name comes before its e-mail, phone or address ("Maria Rossi
        <m.rossi@...>", "Maria Rossi, tel. ..."), after a "Contact:" label, or under a letter's closing."""
        text = page.text
        anchors = [(h.start, h.end, False) for h in page.hits if h.entity in _CONTACT_ENTITIES]
        anchors += [(*m.span(), True) for m in _CONTACT_LABEL.finditer(text)]
        for start, end, label in anchors:
            lo, hi = _line_bounds(text, start, end)
            for phrase, at in self.candidates.runs(text, lo, hi, page.regions):
                if any(at < h.end and at + len(phrase) > h.start for h in page.hits):
                    continue
                before = at + len(phrase) <= start
                # "Seka Moving, 48 Wall St" on a page that says "moving": a business, unless NER says PERSON
                common = _written_in_lower_case(text, phrase.split()[-1])
                if before != label and not common and _adjacent(text, at, at + len(phrase), start, end):
                    page.candidates[(phrase, at)] = PLACED
                elif (phrase, at) not in page.candidates and self.candidates.name_like(phrase):
                    page.candidates[(phrase, at)] = SEEN
        for closing in _CLOSING.finditer(text):  # the signature: the next non-empty line after the closing
            line = re.match(r"\s*([^\n]{1,80})", text[closing.end() :])
            if line:
                lo = closing.end() + line.start(1)
                for phrase, at in self.candidates.runs(text, lo, lo + len(line.group(1)), page.regions):
                    page.candidates[(phrase, at)] = PLACED if at == lo else SEEN

    def confirm(self, pages: Sequence[Page]) -> None:
        """Run NER on a window around each candidate and add PERSON hits: under `contact` for the
        occurrences in contact data only (the name elsewhere on the page is tied to nothing), under `all`
        for every occurrence of a confirmed name."""
        found: list[list[tuple[str, int]]] = [[] for _ in pages]
        jobs: dict[str, list[tuple[str, tuple[int, int, int, str, str]]]] = {}
        for index, page in enumerate(pages):
            for (phrase, at), evidence in page.candidates.items():
                if evidence == PLACED:  # the small model mislabels names in such lines; the position decides
                    found[index].append((phrase, at))
                    continue
                start = _snap(page.text, at - _NER_CONTEXT_CHARS, -1)
                end = _snap(page.text, at + len(phrase) + _NER_CONTEXT_CHARS, 1)
                job = (index, at, at - start, phrase, evidence)
                jobs.setdefault(page.lang, []).append((page.text[start:end], job))
        for lang, lang_jobs in jobs.items():
            with _NER_LOCK:  # one pipeline per process, and a runner may run bundles in threads
                for doc, (index, at, offset, phrase, evidence) in self.nlp(lang).pipe(
                    lang_jobs, as_tuples=True, batch_size=self.batch_size
                ):
                    if self.candidates.confirm(doc, offset, phrase, evidence):
                        found[index].append((phrase, at))
        for page, names in zip(pages, found, strict=True):
            if self.mode == "all":
                spans = list(_occurrences(page.text, {phrase for phrase, _ in names}, page.regions))
            else:
                spans = [(at, at + len(phrase)) for phrase, at in names]
            # NER is the weakest evidence: below every structured recognizer when spans conflict
            page.hits += [Hit(s, e, "PERSON", 0.3) for s, e in spans]


def _adjacent(text: str, start: int, end: int, anchor_start: int, anchor_end: int) -> bool:
    """Whether only punctuation and at most one label lie between a name and its contact datum."""
    if end <= anchor_start:
        gap = text[end:anchor_start]
    elif start >= anchor_end:
        gap = text[anchor_end:start]
    else:
        return False
    return _GAP.fullmatch(gap) is not None


def _snap(text: str, pos: int, step: int) -> int:
    """Move `pos` outwards (step -1 or +1) to a whitespace boundary, at most 32 characters."""
    for _ in range(32):
        if pos <= 0 or pos >= len(text) or text[pos].isspace():
            break
        pos += step
    return max(0, min(len(text), pos))


def _occurrences(text: str, names: set[str], regions: Regions) -> Iterator[tuple[int, int]]:
    if not names:
        return
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b"
    )
    for match in pattern.finditer(text):
        if not regions.overlaps(*match.span()):
            yield match.span()


_NER_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def load_ner(model: str) -> Language:
    """A spaCy pipeline with only what NER needs (the parser, tagger and lemmatizer would triple the cost),
    loaded once per process and shared by its redactors (a worker server's load serves every worker)."""
    nlp = spacy.load(model, exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"])
    # The small and medium English models give ner a tok2vec of its own: the shared one then feeds no one
    # and is a third of the time (same entities without it, bench/pii).
    if "tok2vec" in nlp.pipe_names and not nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp
