"""Custom presidio recognizers for what presidio lacks: street addresses, credentials in URLs, secrets.

Each recognizer is a list of regular expressions whose named group `v` (or the whole match) is the
entity, plus an optional validator that sees the match and rejects documentation placeholders.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import phonenumbers
from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, PhoneRecognizer, UsSsnRecognizer

Validator = Callable[[re.Match[str]], bool]


@dataclass(frozen=True)
class Rule:
    """One pattern of a recognizer: its regex, score, and a validator that can veto a match."""

    name: str
    regex: re.Pattern[str]
    score: float
    validate: Validator | None = None


class RegexRecognizer(LocalRecognizer):
    """A presidio recognizer built from `Rule`s; the entity is group `v` when the pattern has one."""

    def __init__(self, entity: str, rules: Sequence[Rule]):
        self.rules = tuple(rules)
        super().__init__(supported_entities=[entity], name=f"{entity.title().replace('_', '')}Recognizer")

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at construction."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for rule in self.rules:
            for match in rule.regex.finditer(text):
                if rule.validate is not None and not rule.validate(match):
                    continue
                group = "v" if "v" in rule.regex.groupindex else 0
                results.append(
                    RecognizerResult(
                        self.supported_entities[0],
                        match.start(group),
                        match.end(group),
                        rule.score,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return results


class StrictSsnRecognizer(UsSsnRecognizer):
    """presidio's US SSN recognizer with the SSA's area rules and stricter bare-number patterns.

    Areas 000, 666 and 900-999 are never issued (SSA, "Social Security Number Randomization", 2011).
    Only the dashed form scores without context; space/dot separated need a context word ("SSN").
    """

    PATTERNS = [
        Pattern("SSN dashed", r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b", 0.5),
        Pattern("SSN spaced", r"\b[0-9]{3}[ .][0-9]{2}[ .][0-9]{4}\b", 0.1),
    ]

    def __init__(self) -> None:
        super().__init__(patterns=self.PATTERNS)

    def invalidate_result(self, pattern_text: str) -> bool:
        return bool(super().invalidate_result(pattern_text)) or pattern_text[0] == "9"


# A run of digits and phone punctuation with an optional extension: every phone number, SSN and card.
DIGIT_RUN = re.compile(r"(?<![\w.])[+(]?\d[\d\-. ()/]{5,}\d(?:\s?(?:x|ext\.?)\s?\d{1,5})?")
# presidio's PhoneRecognizer context words, plus the labels people put before a number.
PHONE_CUE = re.compile(
    r"(?i:phone|telephone|tel\b|cell|mobile|call|fax|whatsapp|sms|dial|number|reach|contact|ring|message|voicemail)"
)
# Digit runs that are dates, year ranges, dotted quads or decimals, never phone numbers.
DATE = re.compile(
    r"(?:1[6-9]|2[0-1])\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:1[6-9]|2[0-1])?\d\d"
    r"|(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:1[6-9]|2[0-1])?\d\d"
    r"|(?:1[6-9]|2[0-1])\d\d\s*[-–/]\s*(?:1[6-9]|2[0-1])\d\d"  # year range
)
# No numbering plan writes phones as 3-2-4 digits (SSNs) or as dotted quads (IPv4 addresses).
NOT_PHONE_SHAPE = re.compile(r"\d{3}[- .]\d{2}[- .]\d{4}|\d{1,3}(?:\.\d{1,3}){3}")
NOT_A_PHONE = re.compile(rf"(?:{DATE.pattern})|\d{{1,3}}(?:\.\d{{1,3}}){{3}}|\d+\.\d+$")
MIN_DIGITS = 7  # the shortest subscriber numbers (ITU-T E.164 national significant numbers are longer)
ISBN = re.compile(r"(?:97[89][- ]?)?\d{1,5}[- ]\d{1,7}[- ]\d{1,7}[- ][\dX]")


def luhn_ok(number: str) -> bool:
    """The Luhn checksum of card numbers (ISO/IEC 7812-1) over a string of digits."""
    digits = [int(c) for c in reversed(number)]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def phone_cued(text: str, start: int) -> bool:
    """A "+" or a phone cue word in the 40 characters before the digit run at `start`."""
    return text[start : start + 1] == "+" or PHONE_CUE.search(text, max(0, start - 40), start) is not None


def digit_runs(text: str) -> Iterator[re.Match[str]]:
    """Digit runs long enough to be a phone number, an SSN or a card number."""
    for match in DIGIT_RUN.finditer(text):
        if sum(c.isdigit() for c in match.group()) >= MIN_DIGITS:
            yield match


class DigitRunPhoneRecognizer(PhoneRecognizer):
    """presidio's phonenumbers-based recognizer, applied to each digit run rather than to the whole text.

    PhoneNumberMatcher rescans its whole input once per region; on the runs alone the work is a fraction,
    and a number written with "+" needs one region, not all of them.
    """

    def __init__(self, supported_regions: Sequence[str], **kwargs):
        super().__init__(supported_regions=supported_regions, **kwargs)
        # the fewest digits a valid number of each region has: shorter runs cannot hold one
        self.min_digits = {
            region: min(phonenumbers.PhoneMetadata.metadata_for_region(region).general_desc.possible_length)
            for region in supported_regions
        }

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for run in digit_runs(text):
            candidate = run.group()
            cued = phone_cued(text, run.start())
            if (candidate.isdigit() and not cued) or NOT_A_PHONE.match(candidate):
                continue  # an unformatted digit string is a count, id or timestamp unless called a phone
            if NOT_PHONE_SHAPE.fullmatch(candidate) or ISBN.fullmatch(candidate):
                continue  # an SSN, a dotted quad or an ISBN as a whole: any number inside is too short
            number = "".join(c for c in candidate.split("x")[0] if c.isdigit())  # no extension digits
            digits = len(number)
            if 13 <= digits <= 19 and _CARD_SHAPE.fullmatch(candidate) and luhn_ok(number):
                continue  # a card number: its recognizer outscores a phone on the same digits
            # Without "+" or a cue word, the digits must be grouped the way the country writes its numbers:
            # tables of figures ("22050 44100") are valid numbers somewhere, but not grouped like one.
            leniency = self.leniency if cued else phonenumbers.Leniency.EXACT_GROUPING
            regions = self.supported_regions[:1] if candidate[0] == "+" else self.supported_regions
            for region in regions:
                if candidate[0] != "+" and digits < self.min_digits[region]:
                    continue
                matches = [
                    m
                    for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=leniency)
                    if sum(c.isdigit() for c in m.raw_string) >= MIN_DIGITS
                ]
                results += [
                    RecognizerResult(
                        self.supported_entities[0],
                        run.start() + m.start,
                        run.start() + m.end,
                        self.SCORE,
                        analysis_explanation=self._get_analysis_explanation(region),
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                    for m in matches
                ]
                if matches:
                    break
        return EntityRecognizer.remove_duplicates(results)


class CardRecognizer(CreditCardRecognizer):
    """presidio's Luhn-checked card recognizer, plus the 2221-2720 Mastercard range (issued since 2017)."""

    PATTERNS = [
        Pattern(
            "Cards incl. Mastercard 2-series (weak)",
            r"\b(?!1\d{12}(?!\d))((4\d{3})|(5[0-5]\d{2})|(2[2-7]\d{2})|(6\d{3})|(1\d{3})|(3\d{3}))"
            r"[- ]?(\d{3,4})[- ]?(\d{3,4})[- ]?(\d{3,5})\b",
            0.3,
        )
    ]

    def __init__(self) -> None:
        super().__init__(patterns=self.PATTERNS)


_CARD_SHAPE = re.compile(CardRecognizer.PATTERNS[0].regex)


def is_reserved_host(host: str, allowed_domains: Iterable[str]) -> bool:
    """True for RFC 2606/6761 example and local names, allowlisted domains and non-global IPs."""
    host = host.lower().rstrip(".")
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return any(host == d or host.endswith("." + d) for d in allowed_domains)


# USPS Publication 28, appendix C1: street suffixes (plurals via "s?") and their standard abbreviations.
_US_SUFFIXES = (
    r"(?:Alley|Annex|Arcade|Avenue|Bayou|Beach|Bend|Bluff|Bottom|Boulevard|Branch|Bridge|Brook|Burg|Bypass|"
    r"Camp|Canyon|Cape|Causeway|Center|Circle|Cliff|Club|Common|Corner|Course|Court|Cove|Creek|Crescent|"
    r"Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drive|Estate|Expressway|Extension|Fall|Ferry|Field|"
    r"Flat|Ford|Forest|Forge|Fork|Fort|Freeway|Garden|Gateway|Glen|Green|Grove|Harbor|Haven|Height|Highway|"
    r"Hill|Hollow|Inlet|Island|Isle|Junction|Key|Knoll|Lake|Landing|Lane|Light|Loaf|Lock|Lodge|Loop|Mall|"
    r"Manor|Meadow|Mews|Mill|Mission|Motorway|Mount|Mountain|Neck|Orchard|Oval|Overpass|Park|Parkway|Pass|"
    r"Passage|Path|Pike|Pine|Place|Plain|Plaza|Point|Port|Prairie|Radial|Ramp|Ranch|Rapid|Rest|Ridge|River|"
    r"Road|Route|Row|Rue|Run|Shoal|Shore|Skyway|Spring|Spur|Square|Station|Stravenue|Stream|Street|Summit|"
    r"Terrace|Throughway|Trace|Track|Trafficway|Trail|Tunnel|Turnpike|Underpass|Union|Valley|Viaduct|View|"
    r"Village|Ville|Vista|Walk|Wall|Way|Well)s?"
    r"|Ave|Blvd|Cir|Ct|Dr|Expy|Fwy|Hwy|Ln|Pkwy|Pl|Rd|Sq|St|Ste|Ter|Tpke|Trl|Xing"
)
_CAP = r"[A-ZÀ-Þ][\wÀ-ÿ'’.-]*"
_UNIT = (
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Appartamento|Piano|Interno|Piso|Puerta|Escalera|Étage|#)"
    r"\.?\s*[\w-]+)?"
)
# faker's and the postal services' street types for es/it/fr/pt/nl (the name follows the type).
ROMANCE_STREET = (
    r"(?:Rue|Avenue|Boulevard|Chemin|Allée|Impasse|Place|Quai|Route|Calle|Callejón|Avenida|Paseo|Pasaje|"
    r"Pasadizo|Plaza|Camino|Cañada|Carrera|Carretera|Cuesta|Glorieta|Rambla|Ronda|Acceso|Bajada|Urbanización|"
    r"Via|Vía|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Contrada|Borgo|Strada|Stretto|Incrocio|Rotonda|Canale|"
    r"Rua|Travessa|Alameda|C\.)"
)
_PARTICLE = r"(?:(?:de|del|de la|de l'|des|du|da|do|dos|das|di|della|dei)\s*)?"

STREET_RULES = (
    # 1600 Amphitheatre Parkway / 742 Evergreen Terrace Apt. 2 / Flat 33 Harris Trace
    Rule(
        "street (en)",
        re.compile(
            rf"\b(?:(?:Flat|Studio|Apartment|Unit)\s+\d{{1,4}}[a-zA-Z]?\s+|\d{{1,6}}[A-Za-z]?[ \t]+)"
            rf"{_CAP}(?:[ \t]+{_CAP}){{0,3}}[ \t]+(?:{_US_SUFFIXES})\b\.?{_UNIT}"
        ),
        0.6,
    ),
    # Hauptstraße 12 / Alf-Blümel-Allee 5 / Schulzeallee 5/7 / Hans-Jürgen-Ring 14-11
    Rule(
        "street (de)",
        re.compile(
            r"\b(?:[A-ZÄÖÜ][a-zäöüß]+\s)?[A-ZÄÖÜ][\wäöüß.-]*?(?i:straße|strasse|str\.|weg|allee|platz|gasse|ring|"
            r"damm|ufer)\s+\d{1,4}[a-z]?(?:[/-]\d{1,4}[a-z]?)?\b"
        ),
        0.6,
    ),
    # 12, rue de la Paix / 8 avenue Victor Hugo / rue de Salmon
    Rule(
        "street (fr)",
        re.compile(
            rf"(?:\b\d{{1,4}},?\s+(?i:{ROMANCE_STREET})|\b(?i:rue|boulevard|chemin|allée|impasse|quai))"
            rf"\s+{_PARTICLE}{_CAP}(?:[ -]{_CAP}){{0,3}}"
        ),
        0.6,
    ),
    # Calle de Ana Pérez 45 / Via Roma, 12 Appartamento 3 / Rua das Flores, 100
    Rule(
        "street (es/it/pt, number last)",
        re.compile(
            rf"\b{ROMANCE_STREET}\s+{_PARTICLE}{_CAP}(?:\s+{_PARTICLE}{_CAP}){{0,3}},?\s+\d{{1,5}}\b{_UNIT}"
        ),
        0.6,
    ),
)

_PLACEHOLDER_PASSWORDS = frozenset({"password", "pass", "passwd", "pwd", "secret", "pw", "xxx", "changeme"})


def credential_rules(allowed_domains: Iterable[str]) -> tuple[Rule, ...]:
    """`scheme://user:password@host`: the user-info part, unless the host or password is illustrative
    (a reserved host, a placeholder word such as "passwd-on-proxy", or template syntax)."""
    domains = tuple(allowed_domains)

    def real(match: re.Match[str]) -> bool:
        password = match.group("pw")
        return not (
            is_reserved_host(match.group("host"), domains)
            or not _PLACEHOLDER_PASSWORDS.isdisjoint(re.split(r"[-_.]", password.lower()))
            or any(c in password for c in "<>${}*")
        )

    return (
        Rule(
            "url user-info",
            re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://(?P<v>[^\s/@:]+:(?P<pw>[^\s/@]+))@(?P<host>[^\s/:?#]+)"),
            0.9,
            real,
        ),
    )


def _has_digit_and_letter(match: re.Match[str]) -> bool:
    value = match.group("v")
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


SECRET_RULES = (
    # AWS key ids (AWS IAM "Unique identifier prefixes"); AWS's own docs use ...EXAMPLE keys.
    Rule(
        "aws access key id",
        re.compile(r"\b(?P<v>(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b"),
        0.9,
        lambda m: "EXAMPLE" not in m.group("v"),
    ),
    Rule(
        "aws secret access key",
        re.compile(
            r"(?i:aws_?secret_?access_?key)[\"']?\s*[=:]\s*[\"']?(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
        0.9,
        lambda m: "EXAMPLE" not in m.group("v"),
    ),
    Rule(
        "private key block",
        re.compile(
            r"-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY(?P<block>(?: BLOCK)?)-----"
            r"[\s\S]{16,}?-----END (?P=kind)PRIVATE KEY(?P=block)-----"
        ),
        0.95,
    ),
    Rule(
        "bearer token",
        re.compile(r"\b[Bb]earer\s+(?P<v>[A-Za-z0-9\-._~+/]{20,}=*)"),
        0.8,
        _has_digit_and_letter,
    ),
    Rule("github token", re.compile(r"\b(?P<v>gh[pousr]_[A-Za-z0-9]{36,})\b"), 0.9),
    Rule("slack token", re.compile(r"\b(?P<v>xox[abprs]-[A-Za-z0-9-]{10,})\b"), 0.9),
)
