"""Recognizers of identifiers with a syntax of their own: e-mail and IP addresses, IBANs, credentials in
URLs, API keys and tokens.

Each scan is led by a literal ("@", ":", "://") or a narrow character class, so a page without candidates
costs one fast pass per recognizer; candidates are then checked the way their standard defines them
(presidio's IBAN check and e-mail domain check, `ipaddress`) and technical look-alikes are dropped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from pipeline.pii.hits import Hit
from pipeline.pii.lean_import import without_heavy_imports

with without_heavy_imports():
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, IbanRecognizer


def is_reserved_host(host: str, allowed_domains: Iterable[str]) -> bool:
    """True for RFC 2606/6761 example and local names, allowlisted domains and non-global IPs."""
    host = host.lower().rstrip(".")
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return any(host == d or host.endswith("." + d) for d in allowed_domains)


# RFC 2142 role mailboxes and the names of list managers and service robots: a function, not a person.
_ROLE = (
    "postmaster hostmaster webmaster abuse noc security info sales support marketing help helpdesk contact "
    "office admin administrator root team staff press legal billing jobs careers noreply no-reply donotreply "
    "do-not-reply mailer-daemon listmaster listserv majordomo owner request announce bounce bounces "
    "notification notifications newsletter feedback privacy hello enquiries inquiries ftpmaster submit "
    "control"
).split()
_ROLE_LOCAL = re.compile(
    rf"(?i:(?:{'|'.join(_ROLE)})(?:[-+._].*)?|.*[-+](?:request|owner|announce|bounces?|subscribe|unsubscribe|"
    rf"devel|users?|discuss|changes|done|close|submitter|maintonly|quiet))"
)
# Hosts of a service rather than of people's mailboxes: mailing lists (the address reaches everyone
# subscribed), bug trackers and package aliases (it reaches whoever maintains the thing).
_SERVICE_HOST = re.compile(
    r"(?i)^(?:lists?|listserv|mailman|groups|bugs|bugzilla|tracker|packages|buildd|noreply|notifications)\."
    r"|\.googlegroups\.com$"
)
# Placeholders of documentation: user@host, you@yourdomain, your-login@..., 123@bugs... (a bug number).
_PLACEHOLDER_LOCAL = re.compile(
    r"(?i:user|username|user\.name|you|(?:your|votre)\w*|(?:you|ihr|ihre|dein|vous|ton|tu|su|tuo|seu|sua)[-_.][\w.-]+|"
    r"me|someone|somebody|name|first\.?last|"
    r"firstname\.?lastname|login|foo|bar|baz|xx+|example|\d+)"
)


class EmailAddresses:
    """user@domain.tld with a public suffix (presidio's check), unless the domain is reserved, the address
    is the user-info of a URL (URL_CREDENTIALS), a role, list or service address (RFC 2142), or a
    placeholder of documentation."""

    entities = ("EMAIL_ADDRESS",)
    _LOCAL = re.compile(r"[A-Za-z0-9._%+-]{1,64}$")
    _DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")

    def __init__(self, allowed_domains: Sequence[str]):
        self.allowed = tuple(allowed_domains)
        self.presidio = EmailRecognizer()

    def find(self, text: str) -> Iterator[Hit]:
        at = text.find("@")
        while at >= 0:
            local = self._LOCAL.search(text, max(0, at - 64), at)
            domain = self._DOMAIN.match(text, at + 1)
            if local and domain:
                start = local.start() + len(local.group()) - len(local.group().lstrip("."))
                value = text[start : domain.end()]
                local_part = text[start:at]
                if (
                    start < at
                    and not is_reserved_host(domain.group(), self.allowed)
                    and not _ROLE_LOCAL.fullmatch(local_part)
                    and not _PLACEHOLDER_LOCAL.fullmatch(local_part)
                    and not _SERVICE_HOST.search(domain.group())
                    and "://" not in text[text.rfind(" ", 0, start) + 1 : start]
                    and self.presidio.validate_result(value)
                ):
                    yield Hit(start, domain.end(), "EMAIL_ADDRESS", 0.9)
            at = text.find("@", at + 1)


_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)")  # led by a digit: fast
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")
_VERSION_BEFORE = re.compile(r"(?:\b(?:v|version|release|ver\.?)\s?|[\w/@=-])$", re.IGNORECASE)
# RFC 4291 section 2.4: ::/8 is reserved by the IETF and assigned to no host (its loopback, unspecified and
# IPv4-mapped parts are already non-global), so "::abc:7:def" is a documentation example.
_IETF_RESERVED_V6 = ipaddress.ip_network("::/8")
# RFC 6890 section 2.2.2: 192.0.0.0/24 holds IETF protocol assignments; its two global addresses
# (192.0.0.9 and 192.0.0.10, RFC 7723 and RFC 8155) are anycast services, no one's host.
_IETF_ASSIGNMENTS_V4 = ipaddress.ip_network("192.0.0.0/24")
_PREFIX_LENGTH = re.compile(r"/(\d{1,3})(?!\d)")


class IpAddresses:
    """Public IPv4 and IPv6 addresses; private, loopback, documentation, multicast and netmask addresses,
    and versions written like addresses (v1.2.3.4, Django 4.2.1.3, 1.2.3.4-rc1), are not someone's."""

    entities = ("IP_ADDRESS",)

    def __init__(self, keep_private: bool, software_names: Iterable[str]):
        self.keep_private = keep_private
        self.software = frozenset(software_names)

    def find(self, text: str) -> Iterator[Hit]:
        for match in _IPV4.finditer(text):
            if self._address(match.group(), text, match.start(), match.end()):
                yield Hit(match.start(), match.end(), "IP_ADDRESS", 0.8)
        yield from self._ipv6(text)

    def _ipv6(self, text: str) -> Iterator[Hit]:
        end = 0
        colon = text.find(":")
        while colon >= 0:
            if colon >= end:
                start, end = colon, colon
                while start > 0 and text[start - 1] in _IPV6_CHARS:
                    start -= 1
                while end < len(text) and text[end] in _IPV6_CHARS:
                    end += 1
                value = (
                    text[start:end].rstrip(".:") if not text[start:end].endswith("::") else text[start:end]
                )
                boundary = not (
                    text[start - 1 : start].isalnum()
                    or text[start + len(value) : start + len(value) + 1].isalnum()
                )
                if (
                    value.count(":") >= 2
                    and boundary
                    and self._address(value, text, start, start + len(value))
                ):
                    yield Hit(start, start + len(value), "IP_ADDRESS", 0.8)
            colon = text.find(":", max(colon + 1, end))

    def _address(self, value: str, text: str, start: int, end: int) -> bool:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        ones = address.max_prefixlen - (int(address) ^ ((1 << address.max_prefixlen) - 1)).bit_length()
        if address.is_multicast or (
            ones >= 8 and int(address) >> (address.max_prefixlen - ones) == (1 << ones) - 1
        ):
            return False  # group addresses and netmasks (ffff:ff00::, 255.255.0.0) identify no one
        if self.keep_private and (
            not address.is_global or address in _IETF_RESERVED_V6 or address in _IETF_ASSIGNMENTS_V4
        ):
            return False
        prefix = _PREFIX_LENGTH.match(text, end)
        if prefix and int(prefix.group(1)) < address.max_prefixlen and _network(value, prefix.group(1)):
            return False  # a network in CIDR notation (2002::/16, 10.20.0.0/16): its host part is zero
        if address.version == 6:
            return True
        if max(address.packed) < 32:
            # 1.2.3.5 and 12.6.2.1 are versions and section numbers; the public addresses whose four parts are
            # all that small are a handful of resolvers (1.1.1.1, 8.8.8.8, 9.9.9.9), no one's
            return False
        following = text[end : end + 2]
        previous_word = text[max(0, start - 40) : start].split()[-1:]
        return not (
            _VERSION_BEFORE.search(text[max(0, start - 9) : start])
            or (previous_word and previous_word[0] in self.software)
            or (len(following) == 2 and following[0] in ".-" and following[1].isalnum())
        )


def _network(address: str, length: str) -> bool:
    """Whether `address`/`length` names a network: no bit of the host part is set."""
    try:
        ipaddress.ip_network(f"{address}/{length}", strict=True)
    except ValueError:
        return False
    return True


class IbanCodes:
    """IBANs, compact or grouped by four: mod-97 and the country's format (presidio's check)."""

    entities = ("IBAN_CODE",)
    _CANDIDATE = re.compile(r"[A-Z](?<![\w-][A-Z])[A-Z]\d{2}(?:[ \u00a0-]?[A-Z0-9]){11,30}")

    def __init__(self) -> None:
        self.presidio = IbanRecognizer()

    def find(self, text: str) -> Iterator[Hit]:
        for match in self._CANDIDATE.finditer(text):
            value = match.group()
            # a longer run can carry a BIC or a word after the IBAN: try the ends from the longest
            for end in range(len(value), 14, -1):
                if value[end - 1].isalnum() and not (
                    end < len(value) and value[end].isalnum() and value[end - 1].isalpha()
                ):
                    if self.presidio.validate_result(value[:end]):
                        yield Hit(match.start(), match.start() + end, "IBAN_CODE", 0.95)
                        break


Validator = Callable[[re.Match[str]], bool]


@dataclass(frozen=True)
class Rule:
    """One pattern of a regex recognizer: its regex and a validator that can veto a match."""

    name: str
    regex: re.Pattern[str]
    validate: Validator | None = None


class RegexRecognizer:
    """Rules for one entity; the entity is the match's group `v` when the pattern has one."""

    def __init__(self, entity: str, rules: Sequence[Rule], score: float):
        self.entities = (entity,)
        self.rules = tuple(rules)
        self.score = score

    def find(self, text: str) -> Iterator[Hit]:
        for rule in self.rules:
            group = "v" if "v" in rule.regex.groupindex else 0
            for match in rule.regex.finditer(text):
                if rule.validate is None or rule.validate(match):
                    yield Hit(match.start(group), match.end(group), self.entities[0], self.score)


_PLACEHOLDER_PASSWORDS = frozenset({"password", "pass", "passwd", "pwd", "secret", "pw", "xxx", "changeme"})


def credentials(allowed_domains: Iterable[str]) -> RegexRecognizer:
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

    rule = Rule(
        "url user-info",
        re.compile(r"://(?P<v>[^\s/@:]+:(?P<pw>[^\s/@]+))@(?P<host>[^\s/:?#]+)"),
        real,
    )
    return RegexRecognizer("URL_CREDENTIALS", [rule], 0.9)


def _has_digit_and_letter(match: re.Match[str]) -> bool:
    value = match.group("v")
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


SECRET_RULES = (
    # AWS key ids (AWS IAM "Unique identifier prefixes"); AWS's own docs use ...EXAMPLE keys.
    Rule(
        "aws access key id",
        re.compile(
            r"(?P<v>A(?<![A-Za-z0-9]A)(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z0-9]{16})(?![A-Za-z0-9])"
        ),
        lambda m: "EXAMPLE" not in m.group("v"),
    ),
    Rule(
        "aws secret access key",
        re.compile(
            r"(?i:aws_?secret_?access_?key)[\"']?\s*[=:]\s*[\"']?(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
        lambda m: "EXAMPLE" not in m.group("v"),
    ),
    Rule(
        "private key block",
        re.compile(
            r"-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY(?P<block>(?: BLOCK)?)-----"
            r"[\s\S]{16,}?-----END (?P=kind)PRIVATE KEY(?P=block)-----"
        ),
    ),
    Rule("bearer token", re.compile(r"[Bb]earer\s+(?P<v>[A-Za-z0-9\-._~+/]{20,}=*)"), _has_digit_and_letter),
    Rule("github token", re.compile(r"gh[pousr]_(?<![\w]gh[pousr]_)[A-Za-z0-9]{36,}\b")),
    Rule("slack token", re.compile(r"xox[abprs]-(?<![\w]xox[abprs]-)[A-Za-z0-9-]{10,}\b")),
)


def secrets() -> RegexRecognizer:
    return RegexRecognizer("SECRET", SECRET_RULES, 0.95)
