"""PII redaction with presidio, precise on technical text and cheap on documents without PII.

Why not a plain `AnalyzerEngine().analyze(text)`: it runs spaCy and ~50 recognizers over the whole
page (~1 doc/s on long technical pages) and redacts `Django` as a person and 127.0.0.1 as PII. Here:
- a compiled-regex prefilter finds candidate spots; presidio analyzes only short windows around them,
  with only the recognizers the spot can trigger (a document without candidates costs one regex scan);
- PERSON runs spaCy NER (batched with `nlp.pipe` through presidio's engine) only on a window around
  the first occurrence of each distinct run of capitalized name-like words, then redacts every
  occurrence of the names it confirms;
- candidates are validated (presidio's Luhn, IBAN mod-97 and SSN checks, phonenumbers parsing, SSA area
  rules, `ipaddress`) and decoys rejected: versions, dates, hashes, UUIDs, ports, ISBNs, reserved
  example domains, loopback/private IPs, software names as PERSON;
- fenced/indented code and $...$ / $$...$$ math stay byte-exact, except credentials and secrets,
  which are what leaks in code.
Regex-only mode (`nlp="none"`) skips spaCy: every type but PERSON is still found.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# tldextract (used by presidio's e-mail check) reads this when imported: an empty value keeps it on the
# suffix list bundled in its wheel instead of downloading one.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import spacy  # noqa: E402
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult  # noqa: E402
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
)
from spacy.lang.en.stop_words import STOP_WORDS  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc as SpacyDoc  # noqa: E402

from pipeline.pii.recognizers import (  # noqa: E402
    DATE,
    DIGIT_RUN,
    ISBN,
    MIN_DIGITS,
    NOT_PHONE_SHAPE,
    ROMANCE_STREET,
    SECRET_RULES,
    STREET_RULES,
    CardRecognizer,
    DigitRunPhoneRecognizer,
    RegexRecognizer,
    StrictSsnRecognizer,
    credential_rules,
    is_reserved_host,
    luhn_ok,
    phone_cued,
)
from schemas.config import PII_ENTITIES, PiiConfig  # noqa: E402

# Capitalized software and project names: spaCy's small model tags them as PERSON in technical prose, and
# a dotted quad after one ("Django 4.2.1.3") is a version, not an address. `pii.software_names` replaces it.
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


def software_names(config: PiiConfig) -> tuple[str, ...]:
    return SOFTWARE_NAMES if config.software_names is None else tuple(config.software_names)


Span = tuple[int, int]


# --------------------------------------------------------------------------------------------------
# Protected regions: code and math
# --------------------------------------------------------------------------------------------------

# One scan per kind, each led by a literal or a line start: as one alternation the regex engine would try
# every branch at every position (twice the time).
_PROTECTED = tuple(
    re.compile(regex, re.MULTILINE)
    for regex in (
        r"^(?P<fence>```|~~~)[^\n]*\n[\s\S]*?(?:^(?P=fence)[^\n]*$|\Z)",  # fenced block, unclosed: to the end
        r"^(?:    |\t)[^\n]*(?:\n(?:    |\t)[^\n]*)*\n?",  # indented code lines
        r"\$\$[\s\S]+?\$\$",  # display math
        r"\\\[[\s\S]+?\\\]",
        r"\\\([\s\S]+?\\\)",  # \( inline \)
        # $inline$ by pandoc's rule (no space inside the dollars, no digit after), and no word character
        # after either, so "$5 and $10" and shell's "$HOME or $PATH" stay prose
        r"\$(?<![\\$\w]\$)(?=\S)[^$\n]{1,300}?(?<=\S)\$(?!\w)",
    )
)


class Regions:
    """Sorted, non-overlapping spans of code and math, with a fast membership test."""

    def __init__(self, text: str, enabled: bool):
        self.spans: list[Span] = []
        for start, end in sorted(m.span() for regex in _PROTECTED if enabled for m in regex.finditer(text)):
            if self.spans and start <= self.spans[-1][1]:  # math inside code: one region
                self.spans[-1] = (self.spans[-1][0], max(self.spans[-1][1], end))
            else:
                self.spans.append((start, end))
        self.starts = [s for s, _ in self.spans]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start


# --------------------------------------------------------------------------------------------------
# Prefilter: candidate spots and the entity types each can be
# --------------------------------------------------------------------------------------------------

# Each trigger marks a spot worth a presidio window; the recognizers there decide. Triggers may match more
# than their entity (the window is checked), so most start with a literal, which Python's regex engine
# finds with a fast scan: a leading \b or an alternation makes it try the pattern at every position.
_TRIGGERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "email": ((r"@[\w-]+\.[A-Za-z]",), ("EMAIL_ADDRESS",)),
    "cred": ((r"://[^\s/@]+@",), ("URL_CREDENTIALS",)),
    "ipv4": ((r"\d\.\d{1,3}\.\d{1,3}\.\d",), ("IP_ADDRESS",)),
    # "::" or three colons: a clock time (12:30:45) has two
    "ipv6": ((r"::|:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",), ("IP_ADDRESS",)),
    "digits": ((DIGIT_RUN.pattern,), ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN")),
    "iban": ((r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2}",), ("IBAN_CODE",)),
    "secret": (
        (
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[\s\S]{0,8192}?-----END[^\n]{0,40}-----",  # the whole block
            r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z0-9]{16}",
            r"earer\s",
            r"gh[pousr]_",
            r"xox[abprs]-",
            r"[Aa][Ww][Ss]_?[Ss][Ee][Cc][Rr][Ee][Tt]",
        ),
        ("SECRET",),
    ),
    "street": (
        (
            STREET_RULES[0].regex.pattern,  # 742 Evergreen Terrace: digits lead, so the scan is fast
            r"[SsWwAaPpGgRrDdUu](?:tra(?:ße|sse)|tr\.|eg|llee|latz|asse|ing|amm|fer)\s+\d",  # Hauptstraße 12
            rf"\d{{1,4}},?\s+(?i:{ROMANCE_STREET})",  # 12, rue de la Paix
            r"[RrBbCcAaIiQq](?<!\w[RrBbCcAaIiQq])(?i:ue|oulevard|hemin|llée|mpasse|uai)\s",  # rue de Salmon
            rf"{ROMANCE_STREET}\s",  # Via Roma, 12
        ),
        ("STREET_ADDRESS",),
    ),
}
_TRIGGER_RES = tuple(
    (name, re.compile(regex)) for name, (regexes, _) in _TRIGGERS.items() for regex in regexes
)
_CONTEXT_CHARS = 64
_WORD = re.compile(
    r"\w+|[^\w\s]"
)  # room for presidio's context words ("SSN", "phone") and for the entity to finish


@dataclass
class Window:
    """A stretch of a document presidio analyzes, and the entity types its candidates can be."""

    start: int
    end: int
    entities: set[str]


def _snap(text: str, pos: int, step: int) -> int:
    """Move `pos` outwards (step -1 or +1) to a whitespace boundary, at most 32 characters."""
    for _ in range(32):
        if pos <= 0 or pos >= len(text) or text[pos].isspace():
            break
        pos += step
    return max(0, min(len(text), pos))


def _number_worth_a_look(text: str, start: int, end: int) -> bool:
    """A digit run that can be a phone number, an SSN or a card: long enough, not a date range or an
    ISBN, and either written with separators, long as a card, or called a phone."""
    run = text[start:end]
    digits = sum(c.isdigit() for c in run)
    if digits < MIN_DIGITS or DATE.fullmatch(run) or ISBN.fullmatch(run):
        return False
    # a bare 7-12 digit string is a count or an id: a card has 13+ digits, an SSN separators
    return not run.isdigit() or digits >= 13 or phone_cued(text, start)


def candidate_windows(text: str, wanted: set[str], regions: Regions, code_entities: set[str]) -> list[Window]:
    """Merged windows around prefilter hits; in code or math only `code_entities` are looked for."""
    windows: list[Window] = []
    hits = sorted((m.start(), m.end(), name) for name, regex in _TRIGGER_RES for m in regex.finditer(text))
    for hit_start, hit_end, name in hits:
        entities = wanted.intersection(_TRIGGERS[name][1])
        if name == "digits" and not _number_worth_a_look(text, hit_start, hit_end):
            continue
        if entities and regions.overlaps(hit_start, hit_end):
            entities &= code_entities
        if not entities:
            continue
        start = _snap(text, hit_start - _CONTEXT_CHARS, -1)
        end = _snap(text, hit_end + _CONTEXT_CHARS, 1)
        if windows and start <= windows[-1].end:
            windows[-1].end = max(windows[-1].end, end)
            windows[-1].entities |= entities
        else:
            windows.append(Window(start, end, set(entities)))
    return windows


# --------------------------------------------------------------------------------------------------
# Decoys: PII-shaped strings that are not PII
# --------------------------------------------------------------------------------------------------

_HEXLIKE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUID
    r"|(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{7,}"  # hash / hex digest
)
_DECIMAL = re.compile(r"\d+\.\d+")  # phone numbers use either no dot or several
_DOTTED_QUAD = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_VERSION_BEFORE = re.compile(r"(?:\b(?:v|version|release|ver\.?)\s?|[\w/@=-])$", re.IGNORECASE)
_NUMERIC = ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN")
# RFC 4291 section 2.4: ::/8 is reserved by the IETF and assigned to no host (its loopback, unspecified and
# IPv4-mapped parts are already non-global), so "::abc:7:def" is a documentation example.
_IETF_RESERVED_V6 = ipaddress.ip_network("::/8")


class DecoyFilter:
    """Rejects results that are technical look-alikes of PII (see module docstring)."""

    def __init__(self, config: PiiConfig):
        self.keep_private_ips = config.keep_private_ips
        self.allowed_domains = tuple(config.allowed_domains)
        self.software = frozenset(software_names(config))

    def is_decoy(self, entity: str, text: str, start: int, end: int) -> bool:
        value = text[start:end]
        if entity == "EMAIL_ADDRESS":  # user:password@host inside a URL is URL_CREDENTIALS' business
            in_url = "://" in text[text.rfind(" ", 0, start) + 1 : start]
            return in_url or is_reserved_host(value.rsplit("@", 1)[-1], self.allowed_domains)
        if entity == "IP_ADDRESS":
            return self._ip_decoy(value, text, start, end)
        if entity in _NUMERIC:
            return self._number_decoy(value, text, start, end) or (
                entity == "PHONE_NUMBER" and NOT_PHONE_SHAPE.fullmatch(value) is not None
            )
        return False

    def _ip_decoy(self, value: str, text: str, start: int, end: int) -> bool:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return True
        ones = address.max_prefixlen - (int(address) ^ ((1 << address.max_prefixlen) - 1)).bit_length()
        if address.is_multicast or (
            ones >= 8 and int(address) >> (address.max_prefixlen - ones) == (1 << ones) - 1
        ):
            return True  # group addresses and netmasks (ffff:ff00::, 255.255.0.0) identify no one
        if self.keep_private_ips and (not address.is_global or address in _IETF_RESERVED_V6):
            return True
        if address.version == 4 and max(address.packed) < 10:
            return True  # 1.2.3.5 is a version; the few real such hosts are public resolvers, not people
        # 1.2.3.4 preceded by "v"/"version"/"pkg-", or continued by ".5"/"-rc1": a version, not an address
        following = text[end : end + 2]
        previous_word = text[max(0, start - 40) : start].split()[-1:]
        return address.version == 4 and (
            bool(_VERSION_BEFORE.search(text[max(0, start - 9) : start]))
            or bool(previous_word and previous_word[0] in self.software)
            or (len(following) == 2 and following[0] in ".-" and following[1].isalnum())
        )

    @staticmethod
    def _number_decoy(value: str, text: str, start: int, end: int) -> bool:
        before, after = text[start - 1 : start], text[end : end + 1]
        if before.isalnum() or before in (":", "_") or (after.isalnum() and after != "x") or after == "_":
            return True  # inside an identifier, a hash, or a port
        token_start = text.rfind(" ", 0, start) + 1
        token_end = text.find(" ", end)
        token = text[token_start : len(text) if token_end < 0 else token_end].strip(".,;:()[]{}\"'")
        return bool(
            _HEXLIKE.fullmatch(token)
            or _DOTTED_QUAD.search(token)
            or _DECIMAL.fullmatch(value) is not None
            or DATE.match(value.strip())
            or ISBN.fullmatch(value.strip())
            or "isbn" in text[max(0, start - 12) : start].lower()
        )


# --------------------------------------------------------------------------------------------------
# PERSON candidates: runs of capitalized name-like words
# --------------------------------------------------------------------------------------------------

_NAME_WORD = r"(?:Mc[A-Z][a-z]+|[A-ZÀ-Þ][a-zß-ÿ]+(?:[-'’][A-ZÀ-Þ]?[a-zß-ÿ]+)?|[A-Z]\.)"
_PARTICLES = (
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "di",
    "del",
    "della",
    "du",
    "la",
    "le",
    "dos",
    "das",
    "ten",
    "ter",
    "bin",
    "al",
)
_PARTICLE = "(?:" + "|".join(_PARTICLES) + ")"
_NAME_RUN = re.compile(rf"\b{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_NAME_WORD}){{1,3}}")
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
    "Client Kernel Policy Chapter Section Appendix Table Figure Example Note Warning True False None".split()
)
_NAME_WORD_RE = re.compile(_NAME_WORD)
_LOWER_WORD = re.compile(r"[a-zß-ÿ]+")
_COMPANY_SUFFIX = re.compile(r",?\s(?:Inc|Ltd|LLC|GmbH|Corp|AG|SA|S\.A|B\.V|plc)\b")
# Imperatives that open sentences of API documentation ("Return None if ...", "See Also").
_LEADING_VERBS = frozenset(
    f"{verb}{ending}"
    for verb in "Return Raise See Use Set Get Add Create Run Call Let Make Print Read Write Open Close Check "
    "Install Remove Delete Update".split()
    for ending in ("", "s")
)
# Stand-in names of documentation and law ("John Doe"), like the reserved example domains: no one's name.
PLACEHOLDER_NAMES = ("John Doe", "Jane Doe", "Joe Blow", "Joe Bloggs", "John Q. Public", "Joe Sixpack")


class PersonCandidates:
    """Distinct runs of capitalized name-like words, and the decision whether NER confirms one as a name."""

    def __init__(self, software_names: Iterable[str]):
        self.blocked = frozenset(software_names) | _ORG_WORDS

    def find(self, text: str, regions: Regions) -> dict[str, tuple[int, bool]]:
        """Candidate phrase -> (offset of its first occurrence outside code and math, whether a cue is next).

        A phrase without a cue whose last word the page also writes in lower case ("Numeric Types" beside
        "types") is a capitalized common noun, not a name: it never reaches NER.
        """
        found: dict[str, tuple[int, bool]] = {}
        for match in _NAME_RUN.finditer(text):
            words = match.group().split()
            skip = 0
            while skip < len(words) and (words[skip].lower() in STOP_WORDS or words[skip] in _LEADING_VERBS):
                skip += 1
            phrase = " ".join(words[skip:])
            if (
                phrase in found
                or phrase in PLACEHOLDER_NAMES
                or not self.name_like(phrase)
                or regions.overlaps(*match.span())
            ):
                continue
            start = text.index(words[skip], match.start())
            if _COMPANY_SUFFIX.match(text, start + len(phrase)):
                continue
            cued = _cued(text, start, start + len(phrase))
            if not cued:
                if _written_in_lower_case(text, words[-1]):
                    continue
            found[phrase] = (start, cued)
        return found

    def name_like(self, phrase: str) -> bool:
        """Two or more capitalized name words (particles aside), none a software or organisation word."""
        words = [w for w in phrase.split() if w not in _PARTICLES]
        return (
            sum(not w.endswith(".") for w in words) >= 2
            and not words[-1].endswith(".")
            and all(_NAME_WORD_RE.fullmatch(w) and w not in self.blocked for w in words)
        )

    def confirm(self, doc: SpacyDoc, at: int, phrase: str, cued: bool) -> set[str]:
        """Names NER confirms around the candidate at `at` in `doc`.

        spaCy's small model tags PERSON reliably on English names but often calls other names ORG or
        nothing; a name cue next to the phrase ("by", "Maintainer:", "... wrote") then decides.
        """
        end = at + len(phrase)
        overlapping = [e for e in doc.ents if e.start_char < end and e.end_char > at]
        persons = {e.text for e in overlapping if e.label_ == "PERSON" and self.name_like(e.text)}
        if persons or any(e.label_ in _NOT_PERSON_LABELS for e in overlapping):
            return persons
        return {phrase} if cued else set()


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


# --------------------------------------------------------------------------------------------------
# Replacement policies
# --------------------------------------------------------------------------------------------------

_FAKE_NAMES = ("Alex", "Sam", "Robin", "Kim", "Jordan", "Taylor", "Morgan", "Casey")
_FAKE_SURNAMES = ("Doe", "Roe", "Smith", "Moe", "Poe", "Public", "Sample", "Placeholder")


def _luhn_complete(body: str) -> str:
    return body + next(str(d) for d in range(10) if luhn_ok(body + str(d)))


# Fakes come from ranges reserved for documentation or never issued, so a fake is never a real person's:
# 555-01xx (NANP fiction), 192.0.2.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849), SSN area 9xx (never issued),
# IBAN check digits 00 (never valid), BIN 400000 (card-network test range).
_FAKES = {
    "EMAIL_ADDRESS": lambda n, v: f"user{n % 100000}@example.com",
    "PHONE_NUMBER": lambda n, v: f"+1-202-555-01{n % 100:02d}",
    "IP_ADDRESS": lambda n, v: f"2001:db8::{n % 65536:x}" if ":" in v else f"192.0.2.{n % 254 + 1}",
    "CREDIT_CARD": lambda n, v: _luhn_complete(f"400000{n % 10**9:09d}"),
    "IBAN_CODE": lambda n, v: f"DE00{n % 10**18:018d}",
    "US_SSN": lambda n, v: f"9{n % 100:02d}-{n // 100 % 90 + 10:02d}-{n // 10**4 % 9000 + 1000:04d}",
    "PERSON": lambda n, v: f"{_FAKE_NAMES[n % 8]} {_FAKE_SURNAMES[n // 8 % 8]}",
    "STREET_ADDRESS": lambda n, v: f"{n % 999 + 1} Example Street",
    "URL_CREDENTIALS": lambda n, v: "user:password",
    "SECRET": lambda n, v: f"EXAMPLE{n % 16**8:08x}",
}


class Replacer:
    """Replacement text for a found value, by the policy of its type."""

    def __init__(self, config: PiiConfig):
        self.policies = {e: config.policies.get(e, config.default_policy) for e in PII_ENTITIES}
        self.salt = config.hash_salt.encode()

    def __call__(self, entity: str, value: str) -> str:
        policy = self.policies[entity]
        if policy == "placeholder":
            return f"<{entity}>"
        digest = hashlib.sha256(self.salt + value.encode()).hexdigest()
        if policy == "hash":
            return f"<{entity}:{digest[:12]}>"
        return _FAKES[entity](int(digest[:16], 16), value)


# --------------------------------------------------------------------------------------------------
# The redactor
# --------------------------------------------------------------------------------------------------


class _LoadedSpacyEngine(SpacyNlpEngine):
    """presidio's spaCy engine around a pipeline loaded by us: no download attempt, no unused components."""

    def __init__(self, nlp: Language):
        super().__init__(models=[{"lang_code": "en", "model_name": nlp.meta.get("name", "blank")}])
        self.nlp = {"en": nlp}

    def load(self) -> None:
        """Already loaded in the constructor."""


def context_artifacts(text: str) -> NlpArtifacts:
    """Word tokens and lower-cased forms: all presidio's context-word check reads, at regex cost.

    spaCy's tokenizer would cost more than the recognizers themselves on these short windows.
    """
    words = [(m.group(), m.start()) for m in _WORD.finditer(text)]
    lower = [w.lower() for w, _ in words]
    artifacts = NlpArtifacts([], [w for w, _ in words], [i for _, i in words], lower, None, "en")
    artifacts.keywords = [w for w in lower if w not in STOP_WORDS and w[0].isalnum()]
    return artifacts


def _load_nlp(config: PiiConfig) -> Language:
    if config.nlp == "none":
        return spacy.blank("en")
    # NER needs only ner (and tok2vec when ner listens to it); the parser, tagger and lemmatizer would
    # triple the cost.
    nlp = spacy.load(
        config.spacy_model, exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"]
    )
    # The small and medium English models give ner a tok2vec of its own: the shared one then feeds no one
    # and is a third of the time (same entities without it, bench/pii).
    if "tok2vec" in nlp.pipe_names and not nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp


def _registry(config: PiiConfig) -> RecognizerRegistry:
    registry = RecognizerRegistry(supported_languages=["en"])
    recognizers = {
        "EMAIL_ADDRESS": EmailRecognizer(),
        "PHONE_NUMBER": DigitRunPhoneRecognizer(supported_regions=tuple(config.phone_regions)),
        "IP_ADDRESS": IpRecognizer(),
        "CREDIT_CARD": CardRecognizer(),
        "IBAN_CODE": IbanRecognizer(),
        "US_SSN": StrictSsnRecognizer(),
        "STREET_ADDRESS": RegexRecognizer("STREET_ADDRESS", STREET_RULES),
        "URL_CREDENTIALS": RegexRecognizer("URL_CREDENTIALS", credential_rules(config.allowed_domains)),
        "SECRET": RegexRecognizer("SECRET", SECRET_RULES),
    }
    for entity in config.entities:
        if entity in recognizers:
            registry.add_recognizer(recognizers[entity])
    return registry


@dataclass
class _Pending:
    """One document between the structured pass and the batched NER pass."""

    text: str
    regions: Regions
    found: list[tuple[int, int, str, float]]
    persons: dict[str, tuple[int, bool]]


class PiiRedactor:
    """Finds and replaces PII; build once per worker (loading spaCy and presidio takes seconds)."""

    def __init__(self, config: PiiConfig | None = None):
        self.config = config or PiiConfig()
        self.engine = _LoadedSpacyEngine(_load_nlp(self.config))
        self.analyzer = AnalyzerEngine(
            registry=_registry(self.config), nlp_engine=self.engine, supported_languages=["en"]
        )
        self.structured = set(self.config.entities) - {"PERSON"}
        self.code_entities = set(self.config.code_entities)
        self.ner = self.config.nlp == "spacy" and "PERSON" in self.config.entities
        self.person_candidates = PersonCandidates(software_names(self.config))
        self.decoys = DecoyFilter(self.config)
        self.replace = Replacer(self.config)

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """`text` with PII replaced, and the number of replacements per entity type."""
        return self.redact_batch([text])[0]

    def redact_batch(self, texts: Sequence[str]) -> list[tuple[str, dict[str, int]]]:
        """`redact` over many texts, with one batched spaCy pass for all their name candidates."""
        return [self._apply(text, spans) for text, spans in zip(texts, self.find_batch(texts), strict=True)]

    def find_batch(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """Per text, the non-overlapping (start, end, entity type) spans to redact, in text order."""
        pending = [self._structured(text) for text in texts]
        if self.ner:
            self._confirm_persons(pending)
        return [_resolve(p.found) for p in pending]

    def _structured(self, text: str) -> _Pending:
        regions = Regions(text, self.config.protect_code_math)
        found = []
        for window in candidate_windows(text, self.structured, regions, self.code_entities):
            chunk = text[window.start : window.end]
            results = self.analyzer.analyze(
                chunk,
                language="en",
                entities=sorted(window.entities),
                nlp_artifacts=context_artifacts(chunk),
                score_threshold=self.config.score_threshold,
            )
            found += [self._located(r, window.start) for r in results]
        found = [
            f
            for f in found
            if not self.decoys.is_decoy(f[2], text, f[0], f[1])
            and (f[2] in self.code_entities or not regions.overlaps(f[0], f[1]))
        ]
        persons = self.person_candidates.find(text, regions) if self.ner else {}
        return _Pending(text, regions, found, persons)

    @staticmethod
    def _located(result: RecognizerResult, offset: int) -> tuple[int, int, str, float]:
        return result.start + offset, result.end + offset, result.entity_type, result.score

    def _confirm_persons(self, pending: list[_Pending]) -> None:
        """Run NER on a window around each candidate's first occurrence; redact every occurrence of a name."""
        jobs = []
        for doc_index, p in enumerate(pending):
            for phrase, (first, cued) in p.persons.items():
                start = _snap(p.text, first - _NER_CONTEXT_CHARS, -1)
                end = _snap(p.text, first + len(phrase) + _NER_CONTEXT_CHARS, 1)
                jobs.append((p.text[start:end], (doc_index, first - start, phrase, cued)))
        names: list[set[str]] = [set() for _ in pending]
        nlp = self.engine.get_nlp("en")
        for doc, (doc_index, at, phrase, cued) in nlp.pipe(
            jobs, as_tuples=True, batch_size=self.config.ner_batch_size
        ):
            names[doc_index] |= self.person_candidates.confirm(doc, at, phrase, cued)
        for p, confirmed in zip(pending, names, strict=True):
            # NER is the weakest evidence: below every structured recognizer when spans conflict
            p.found += [(s, e, "PERSON", 0.3) for s, e in _occurrences(p.text, confirmed, p.regions)]

    def _apply(self, text: str, spans: list[tuple[int, int, str]]) -> tuple[str, dict[str, int]]:
        parts: list[str] = []
        counts: Counter[str] = Counter()
        cursor = 0
        for start, end, entity in spans:
            parts += [text[cursor:start], self.replace(entity, text[start:end])]
            counts[entity] += 1
            cursor = end
        parts.append(text[cursor:])
        return "".join(parts), dict(sorted(counts.items()))


def _occurrences(text: str, names: set[str], regions: Regions) -> Iterator[Span]:
    if not names:
        return
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b"
    )
    for match in pattern.finditer(text):
        if not regions.overlaps(*match.span()):
            yield match.span()


def _resolve(found: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans in text order: the higher score wins a conflict, then the longer span."""
    chosen: list[tuple[int, int, str]] = []
    for start, end, entity, _ in sorted(found, key=lambda f: (-f[3], f[0] - f[1], f[0])):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, entity))
    return sorted(chosen)


_DEFAULT: PiiRedactor | None = None


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Redact `text` with the default configuration (the redactor is built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = PiiRedactor()
    return _DEFAULT.redact(text)
