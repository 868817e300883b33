"""Numbers that identify someone: payment cards, US social security numbers and phone numbers.

One scan finds the runs of digits and of the punctuation people write numbers with. Each run is tried as a
card (Luhn, ISO/IEC 7812 issuer digit), an SSN (SSA issuing rules) and a phone number (libphonenumber, with
the regions the document's language and host suggest), in that order, once the shapes of technical
numbers (dates, versions, decimals, thousands, ISBNs) are ruled out. Without a cue word ("Tel.", "card",
"SSN", in many languages) a run must be written the way its kind is written: cards grouped or with an
issuer's first digit, phones with "+", an area code in parentheses, a trunk "0" or the NANP 3-3-4 shape.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import phonenumbers

from pipeline.pii.hits import Hit

_SPACE = "[ \u00a0]"
# Between two digit groups: a space, a dash, a dot or a slash (spaced or not), or a parenthesis, which a
# dash may precede: directories of Russia, Ukraine, Kazakhstan and Estonia write the area code so
# ("+7-(922)-446-70-08", "+380-(66)-244-67-00").
_SEP = rf"(?:{_SPACE}?[-./]{_SPACE}?|{_SPACE}|\){_SPACE}?[-./]?|{_SPACE}?-?\()"
_EXT = rf"(?:{_SPACE}?(?:x|ext\.?|extn\.?|extension|#){_SPACE}?\d{{1,6}})"
# Not inside an identifier, a decimal, a path, a version, "#123" or "n=123"; ends before any word
# character. The country code may stand in parentheses after the "+" ("+(371) 67 123 456", as Latvian and
# Lithuanian directories print it). The pattern starts with a character class, not the look-behind, so
# the engine only tries it where a digit, "+" or "(" is (half the time of the same test written first).
RUN = re.compile(
    rf"[\d+(](?<![\w.,+/#=-][\d+(])(?:(?<=[+(])\+?\(?{_SPACE}?\d+|(?<=\d)\d*)(?:{_SEP}\d+)*(?P<ext>{_EXT})?"
    rf"(?!\w|[.,]\d|-\w|:\d)"  # not a part of a UUID, a longer identifier or a time (19:44)
)
MIN_DIGITS = 7  # the shortest numbers worth a look without a cue (E.164 subscriber numbers are longer)
# The shortest national numbers: Luxembourg's six-digit lines ("Tel. 76 20 16"; ITU-T E.164 national
# numbering plan of LU), the Faroes', Greenland's, Andorra's, Monaco's short codes; looked at only when a
# cue word or a contact block says that they are phones, and when written in groups.
MIN_CUED_DIGITS = 6
MAX_PHONE_DIGITS = 15  # ITU-T E.164: at most 15 digits, country code included
_SPLIT = re.compile(rf"{_SPACE}[/-]{_SPACE}|,{_SPACE}?|;{_SPACE}?")  # "030 1234 / 030 5678": two numbers

# Technical numbers that a phone, card or SSN recognizer could take.
DATE = re.compile(
    r"(?:1[6-9]|2[0-1])\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:1[6-9]|2[0-1])?\d\d"
    r"|(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:1[6-9]|2[0-1])?\d\d"
    r"|(?:1[6-9]|2[0-1])\d\d\s*[-–/]\s*(?:1[6-9]|2[0-1])\d\d"  # year range
)
_DATE_FIRST = re.compile(rf"(?:{DATE.pattern})(?:{_SPACE}|$)")  # a date, alone or before a time
_DOTTED = re.compile(r"\d+(?:\.\d+)+")  # versions, dotted quads, German thousands
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:[ \u00a0.,]\d{3})+")  # 1 048 576, 1.234.567
_DECIMAL_START = re.compile(r"0[.,]\d")  # 0.181 700: a fraction, then another number
_ZIP4 = re.compile(r"\d{5}-\d{4}")  # a US ZIP+4 code (Boston, MA 02110-1301)
_ISBN_BEFORE = re.compile(r"(?i:isbn)[-: \u00a0]*(?:1[03])?[-: \u00a0]*$")

# Words next to a number that say what it is, in the languages of the web's largest shares (ours, from the
# words of contact pages; stems, so "Telefonnummer" and "téléphone" match).
# 電話 電话 携帯 手机 手機 致电 拨打 傳真 传真 联系 連絡 전화 휴대폰 연락처 ファックス
_CJK_PHONE_WORDS = (
    "\u96fb\u8a71|\u7535\u8bdd|\u643a\u5e2f|\u624b\u673a|\u624b\u6a5f|\u81f4\u7535|\u62e8\u6253|"
    "\u50b3\u771f|\u4f20\u771f|\u8054\u7cfb|\u9023\u7d61|\uc804\ud654|\ud734\ub300\ud3f0|"
    "\uc5f0\ub77d\ucc98|\u30d5\u30a1\u30c3\u30af\u30b9"
)
PHONE_CUE = re.compile(
    r"(?i:\b(?:phone|tel\b|tél|fax|cell|mobile?|call(?!ed\b|s\b|able|back|er)|whatsapp|sms\b|dial|ring\b|reach|hotline|helpline|"
    r"voicemail|contact|kontakt|tel[eé]f|handy|mobil|rufnummer|ruf\b|anruf|erreich|durchwahl|portable|appel|"
    r"joindre|m[oó]vil|celular|llam|cellulare|chiam|telem[oó]vel|ligue|ligar|bel\b|bellen|kom[oó]rk|dzwo|"
    rf"zadzwo|tlf|puhelin|soita|telefonszám)|{_CJK_PHONE_WORDS})"
)
# Japanese and Chinese also put the word after the number ("... にお電話ください").
PHONE_CUE_AFTER = re.compile(_CJK_PHONE_WORDS)
CARD_CUE = re.compile(
    r"(?i:card|visa|master|amex|american express|diners|discover|jcb|maestro|unionpay|credit|debit|karte|"
    r"carte|tarjeta|carta|cart[aã]o|kaart|karta|kort|kortti|\bcb\b|\u30ab\u30fc\u30c9|\u5361)"
)
SSN_CUE = re.compile(r"(?i:\bssn|social security|\bss#|\bsocial sec)")
_PHONE_SHAPE = re.compile(
    r"\(\+?\d{1,5}\)"  # an area code in parentheses: (0161) 4960066, (015)-7061217, (591)341-7776
    r"|(?:1[-. ])?\d{3}[-.]\d{3}[-.]\d{4}"  # the North American 3-3-4: 212-736-5000, 1-800-555-0199
)


def luhn_ok(number: str) -> bool:
    """The Luhn checksum of card numbers (ISO/IEC 7812-1) over a string of digits."""
    digits = [int(c) for c in reversed(number)]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)) % 10 == 0


# Published test numbers (Stripe's and PayPal/Braintree's testing pages, Visa's developer docs): they are
# in documentation and charge no one, like the reserved example domains.
TEST_CARDS = frozenset(
    "4242424242424242 4000056655665556 5555555555554444 2223003122003222 5200828282828210 5105105105105100 "
    "378282246310005 371449635398431 6011111111111117 6011000990139424 3056930009020004 36227206271667 "
    "3566002020360505 6200000000000005 4111111111111111 4012888888881881 4222222222222 5431111111111111 "
    "6011601160116611 378734493671000 38520000023237 30569309025904 3530111333300000 4917610000000000 "
    "4917610000000000003 6759649826438453 6799990100000000019".split()
)


def is_card(digits: str, groups: Sequence[str], cued: bool) -> bool:
    """A payment card number: 12-19 digits passing Luhn, not a published test number, and written as one.

    Without a cue it must be grouped (but not in thousands: 1 234 567 890 123) or, written bare, start with
    an issuer digit of the card networks (ISO/IEC 7812 major industry identifiers 2-6; 1 for UATP's 15).
    """
    if not (12 <= len(digits) <= 19 and luhn_ok(digits)) or digits in TEST_CARDS or len(set(digits)) == 1:
        return False
    if cued:
        return True
    if len(groups) == 1:
        return digits[0] in "23456" or (digits[0] == "1" and len(digits) == 15)
    return digits[0] != "0" and not (len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]))


_SSN_DASHED = re.compile(r"\d{3}-\d{2}-\d{4}")
_SSN_OTHER = re.compile(r"\d{3}[ .]\d{2}[ .]\d{4}|\d{9}")


def ssn_issuable(digits: str) -> bool:
    """SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000 ("SSN Randomization", 2011)."""
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


@dataclass(frozen=True)
class Run:
    """A candidate number: its span, its text without extension, its digit groups and its extension."""

    start: int
    end: int
    body: str
    groups: tuple[str, ...]

    @property
    def digits(self) -> str:
        return "".join(self.groups)


def runs(text: str) -> Iterator[Run]:
    """Digit runs of MIN_CUED_DIGITS digits or more; a run too long for one phone is split at " / ", ", "."""
    for match in RUN.finditer(text):
        if match.end() - match.start() < MIN_CUED_DIGITS:
            continue  # most runs: years, counts, section numbers
        body_end = match.start("ext") if match.group("ext") else match.end()
        body = text[match.start() : body_end]
        groups = tuple(re.findall(r"\d+", body))
        if sum(map(len, groups)) < MIN_CUED_DIGITS:
            continue
        if sum(map(len, groups)) > 19 and _SPLIT.search(body):
            offset = match.start()
            for part in _SPLIT.split(body):
                at = text.index(part, offset)
                offset = at + len(part)
                part_groups = tuple(re.findall(r"\d+", part))
                if sum(map(len, part_groups)) >= MIN_DIGITS:
                    yield Run(at, at + len(part), part, part_groups)
            continue
        yield Run(match.start(), match.end(), body, groups)


class NumberRecognizer:
    """Cards, SSNs and phone numbers from one scan of digit runs (see the module docstring)."""

    entities = ("CREDIT_CARD", "US_SSN", "PHONE_NUMBER")

    def __init__(self, entities: Sequence[str]):
        self.wanted = frozenset(entities)

    def find(
        self,
        text: str,
        regions: Sequence[str],
        skip: Callable[[int, int], bool],
        contacts: Sequence[int] = (),
    ) -> Iterator[Hit]:
        """Hits in `text`. `regions`: the phone regions to try for numbers written without "+"; runs where
        `skip(start, end)` holds (code and math) are not looked at; `contacts`: sorted offsets of e-mail
        addresses, whose neighbourhood is a contact block (a number there needs no cue word)."""
        for run in runs(text):
            before = text[max(0, run.start - 40) : run.start]
            if skip(run.start, run.end) or self._technical(run, before, text):
                continue
            digits = run.digits
            body = run.body
            if len(digits) < MIN_DIGITS:
                if "PHONE_NUMBER" in self.wanted and self._short_phone(text, run, _near(contacts, run)):
                    yield Hit(run.start, run.end, "PHONE_NUMBER", 0.6)
                continue
            if "+" not in body and "(" not in body and set(re.sub(r"\d", "", body)) <= {" ", "-", "\u00a0"}:
                if digits in TEST_CARDS:
                    continue  # a published test card is a card that charges no one, never a phone
                cued = CARD_CUE.search(before) is not None
                if (
                    "CREDIT_CARD" in self.wanted
                    and is_card(digits, run.groups, cued)
                    and (cued or len(run.groups) > 1 or not _in_a_sequence(text, run.start, digits))
                ):
                    yield Hit(run.start, run.start + len(body), "CREDIT_CARD", 0.9)
                    continue
            if len(digits) == 9 and (_SSN_DASHED.fullmatch(body) or _SSN_OTHER.fullmatch(body)):
                ssn_cued = SSN_CUE.search(before) is not None
                if (
                    "US_SSN" in self.wanted
                    and ssn_issuable(digits)
                    and (ssn_cued or _SSN_DASHED.fullmatch(body))
                ):
                    yield Hit(run.start, run.start + len(body), "US_SSN", 0.85)
                    continue
                if ssn_cued or not body.isdigit():
                    continue  # 3-2-4 is the SSN's shape, no numbering plan's; nine bare digits can be a phone
            if "PHONE_NUMBER" in self.wanted and self._phone(text, run, regions, _near(contacts, run)):
                yield Hit(run.start, run.end, "PHONE_NUMBER", 0.7)

    @staticmethod
    def _technical(run: Run, before: str, text: str) -> bool:
        """Dates, versions and dotted quads, decimals, ISBNs: never a card, SSN or phone."""
        body = run.body
        if _DATE_FIRST.match(body) or _ISBN_BEFORE.search(before) or _DECIMAL_START.match(body):
            return True
        if _DOTTED.fullmatch(body):
            # dots alone: a version, an address, thousands; phones written with dots are 3.3.4, start with
            # a trunk 0 (01.42.68.53.00), or are called phones ("Tel. 0452.432.813", never an IP address)
            cued = _cue_before(text, run) and not (len(run.groups) == 4 and max(map(int, run.groups)) < 256)
            return not (_PHONE_SHAPE.fullmatch(body) or (body[0] == "0" and len(run.groups) >= 4) or cued)
        return False

    @staticmethod
    def _short_phone(text: str, run: Run, in_contact_block: bool) -> bool:
        """A six-digit national number ("Tel. 76 20 16", "Telefon: 4 997 46"): only where the page says it
        is a phone, in groups of digits that are no thousands ("reach 250 000 users"), with one separator
        throughout (a Debian version beside a maintainer's address, "2.0207-1", mixes them)."""
        body = run.body
        separators = set(re.sub(r"\d", "", body))
        return (
            len(run.groups) >= 2
            and len(separators) == 1
            and separators <= {" ", "-", ".", "\u00a0"}
            and not _THOUSANDS.fullmatch(body)
            and (in_contact_block or _cue_before(text, run) or _cue_after(text, run))
        )

    @staticmethod
    def _phone(text: str, run: Run, regions: Sequence[str], in_contact_block: bool) -> bool:
        """A phone number: said to be one (a cue word or a contact block around it) or written like one
        ("+", an area code in parentheses, a trunk 0, 3-3-4) and of a possible length in a hinted region."""
        digits, body = run.digits, run.body
        if len(digits) > MAX_PHONE_DIGITS + 2:  # E.164 plus an international or trunk prefix
            return False
        cued = in_contact_block or _cue_before(text, run) or _cue_after(text, run)
        if body[0] == "+" or body.startswith("(+"):
            return len(digits) >= 8 and (cued or _possible(body, None))
        if cued:
            return True  # what the page calls a phone number is one, valid in its plan or not
        if text[run.start - 1 : run.start] == "[" and text.startswith("]", run.start + len(body)):
            return False  # a vector literal: Octave's default percentiles "[0 25 50 75 100]"
        groups = run.groups
        shaped = (
            _PHONE_SHAPE.match(body) is not None
            # a trunk 0: European national numbers have 9 to 11 digits with it (Knipex 09 02 240 is a part)
            or (digits[0] == "0" and len(groups) >= 2 and len(digits) >= 9 and not digits.startswith("00"))
            # an international prefix 00 and a country code, which never starts with 0
            or (digits.startswith("00") and digits[2] != "0" and len(groups) >= 2 and len(digits) >= 10)
        )
        if not shaped or _THOUSANDS.fullmatch(body) or _ZIP4.fullmatch(body):
            return False
        if len(groups) >= 4 and len({len(g) for g in groups}) == 1 and len(groups[0]) >= 3:
            return False  # 012 013 023 123: a row of numbers
        return any(_possible(body, region) for region in regions)


_CONTACT_REACH = 80  # characters from an e-mail address within which a number is part of the same contact
_CUE_REACH = 48  # "Contact: Luciano Benjamin Ponce, 58 54 98 55"


_SEQUENCE_PREFIX = 10  # digits a card shares with another only by chance: the issuer's six and four more


def _in_a_sequence(text: str, start: int, digits: str) -> bool:
    """Whether another number of the page starts with the same ten digits: a column of timestamps or
    counters ("156641360502280", "156641360518804", ...), where one value in ten passes Luhn. Two cards of
    one issuer share six digits; a card repeated is the same number, which does not count."""
    prefix = digits[:_SEQUENCE_PREFIX]
    at = text.find(prefix)
    while at >= 0:
        if at != start and text[at : at + len(digits)] != digits:
            return True
        at = text.find(prefix, at + 1)
    return False


def _cue_before(text: str, run: Run) -> bool:
    """A phone word before the number on its line (a cue on another line labels something else)."""
    line_start = text.rfind("\n", 0, run.start) + 1
    return PHONE_CUE.search(text, max(line_start, run.start - _CUE_REACH), run.start) is not None


def _cue_after(text: str, run: Run) -> bool:
    """A Japanese or Chinese phone word right after the number ("... にお電話ください")."""
    line_end = text.find("\n", run.end) % (len(text) + 1)
    return PHONE_CUE_AFTER.search(text, run.end, min(line_end, run.end + 12)) is not None


def _near(contacts: Sequence[int], run: Run) -> bool:
    i = bisect.bisect_left(contacts, run.start - _CONTACT_REACH)
    return i < len(contacts) and contacts[i] <= run.end + _CONTACT_REACH


def _possible(number: str, region: str | None) -> bool:
    """Whether libphonenumber parses `number` in `region` to a number of a possible length there."""
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False
