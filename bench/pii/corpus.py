"""Evaluation corpus for PII redaction: real technical prose with PII planted at recorded spans.

Prose and code come from Debian's HTML documentation (debian-reference-en, developers-reference,
git-doc, python3-doc: `apt-get install -y ...`). PII values come from faker across seven locales
(faker is a benchmark-only dependency: `pip install faker`). Clean documents get the same real text
plus decoys: PII-shaped strings that are not PII (versions, dates, hashes, UUIDs, ports, ISBNs,
example.com addresses, loopback/private IPs, software names), code blocks and LaTeX math.
"""

from __future__ import annotations

import base64
import ipaddress
import random
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from faker import Faker
from lxml import html as lxml_html

DOC_ROOTS = (
    "/usr/share/doc/debian-reference-en",
    "/usr/share/doc/developers-reference",
    "/usr/share/doc/git-doc",
    "/usr/share/doc/python3-doc/html/library",
    "/usr/share/doc/python3-doc/html/howto",
)
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
_BLOCKS = {"p", "dd", "dt", "h1", "h2", "h3", "h4", "pre"}


@dataclass
class Block:
    """A paragraph of prose or a code block of a real page."""

    text: str
    code: bool


@dataclass
class EvalDoc:
    """One document: text, planted PII spans (start, end, type) and code/math spans (start, end)."""

    text: str
    pii: list[tuple[int, int, str]] = field(default_factory=list)
    protected: list[tuple[int, int]] = field(default_factory=list)
    clean: bool = False


def page_blocks(path: Path) -> list[Block]:
    """Prose paragraphs and <pre> blocks of an HTML page, in document order."""
    tree = lxml_html.parse(str(path))
    blocks = []
    for el in tree.iter(*_BLOCKS):
        if any(a.tag == "pre" for a in el.iterancestors()):
            continue
        if el.tag == "pre":
            code = el.text_content().strip("\n")
            if code.strip() and len(code) < 2000:
                blocks.append(Block(code, True))
        else:
            text = " ".join(el.text_content().split())
            if len(text) > 40:
                blocks.append(Block(text, False))
    return blocks


def real_pages(limit: int) -> list[list[Block]]:
    """Blocks of up to `limit` documentation pages (sorted paths: the same pages on every run)."""
    paths = sorted(p for root in DOC_ROOTS for p in Path(root).rglob("*.html"))
    rng = random.Random(7)
    rng.shuffle(paths)
    pages = [page_blocks(p) for p in paths[: limit * 2]]
    return [b for b in pages if sum(len(x.text) for x in b) > 1500][:limit]


def chunks(pages: list[list[Block]], rng: random.Random) -> Iterator[list[Block]]:
    """Consecutive blocks of a page, 1.5 to 6 kB each: the size of a typical extracted web page."""
    for blocks in pages:
        current: list[Block] = []
        target = rng.randint(1500, 6000)
        for block in blocks:
            current.append(block)
            if sum(len(b.text) for b in current) >= target:
                yield current
                current, target = [], rng.randint(1500, 6000)


class PiiMaker:
    """Faker-made PII values by type, in the formats people write them."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed + i)
        self.makers: dict[str, Callable[[], str]] = {
            "PERSON": self.person,
            "EMAIL_ADDRESS": self.email,
            "PHONE_NUMBER": self.phone,
            "IP_ADDRESS": self.ip,
            "CREDIT_CARD": self.card,
            "IBAN_CODE": self.iban,
            "US_SSN": self.ssn,
            "STREET_ADDRESS": self.street,
            "URL_CREDENTIALS": self.credentials,
            "SECRET": self.secret,
        }

    def fake(self, locales: tuple[str, ...] = LOCALES) -> Faker:
        return self.fakers[self.rng.choice(locales)]

    def person(self) -> str:
        f = self.fake()
        return f"{f.first_name()} {f.last_name()}"

    def email(self) -> str:
        f = self.fake()
        return self.rng.choice((f.free_email, f.company_email))()

    def phone(self) -> str:
        """A faker number that is valid in its country's numbering plan (faker's digits often are not)."""
        while True:
            locale = self.rng.choice(LOCALES)
            number = self.fakers[locale].phone_number()
            try:
                parsed = phonenumbers.parse(number, locale[-2:])
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                if self.rng.random() < 0.3:
                    style = self.rng.choice(
                        (phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164)
                    )
                    return phonenumbers.format_number(parsed, style)
                return number

    def ip(self) -> str:
        f = self.fake()
        if self.rng.random() < 0.6:
            return f.ipv4_public()
        while True:
            address = ipaddress.ip_address(f.ipv6())
            if address.is_global:
                return address.compressed if self.rng.random() < 0.5 else address.exploded

    def card(self) -> str:
        number = self.fake().credit_card_number(self.rng.choice(("visa16", "mastercard", "amex", "discover")))
        if len(number) == 16 and self.rng.random() < 0.6:
            sep = self.rng.choice((" ", "-"))
            return sep.join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def iban(self) -> str:
        value = self.fake(("de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "en_GB")).iban()
        if self.rng.random() < 0.5:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def ssn(self) -> str:
        return self.fakers["en_US"].ssn()

    def street(self) -> str:
        return self.fake(("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT")).street_address()

    def bearer(self) -> str:
        """An OAuth/JWT-style bearer token (random: these carry no structure to recognize without the cue)."""
        return "".join(self.rng.choice(string.ascii_letters + string.digits + "-_.") for _ in range(48))

    def credentials(self) -> str:
        f = self.fake()
        return f"{f.user_name()}:{f.password(length=12, special_chars=False)}"

    def secret(self) -> str:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        if kind == 1:
            return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
        if kind == 2:
            return (
                "xoxb-"
                + "-".join(str(rng.randint(10**11, 10**12)) for _ in range(2))
                + "-"
                + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
            )
        body = base64.b64encode(rng.randbytes(600)).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN RSA PRIVATE KEY-----\n{lines}\n-----END RSA PRIVATE KEY-----"


# Sentences that carry a value: "{v}" is the planted span.
TEMPLATES = {
    "PERSON": (
        "{v} wrote the first version of this module.",
        "Thanks to {v} for reviewing the draft.",
        "This chapter was last updated by {v} in the spring.",
        "According to {v}, the option is rarely needed.",
        "The original design came from a proposal by {v} and colleagues.",
        "{v} reported that the build fails on arm64.",
        "In a later message, {v} suggested a simpler workaround.",
        "Maintainer: {v}",
        "The package is currently looked after by {v}.",
    ),
    "EMAIL_ADDRESS": (
        "Questions about this section can be sent to {v}.",
        "Send bug reports to {v} (include the version).",
        "The patch was first posted by {v} to the mailing list.",
        "Contact: {v}",
    ),
    "PHONE_NUMBER": (
        "For urgent problems call {v} during office hours.",
        "Phone: {v}",
        "The on-call administrator can be reached at {v}.",
        "Leave a message on {v} if nobody answers.",
    ),
    "IP_ADDRESS": (
        "The attack traffic came from {v} according to the firewall log.",
        "Our mirror answers on {v} as well.",
        "The user connected from {v} shortly before the crash.",
        "Blocked host: {v}",
    ),
    "CREDIT_CARD": (
        "The order was paid with card {v}.",
        "Card number: {v}",
        "Please charge {v} for the renewal.",
    ),
    "IBAN_CODE": (
        "Donations can be wired to IBAN {v}.",
        "Bank account: {v}",
        "Refunds go to account {v}.",
    ),
    "US_SSN": (
        "Her SSN {v} appeared in the breach notice.",
        "Social security number: {v}",
        "The form listed {v} as the applicant's social security number.",
    ),
    "STREET_ADDRESS": (
        "Letters can be sent to {v}.",
        "The office moved to {v} last year.",
        "Address: {v}",
    ),
    "URL_CREDENTIALS": (
        "The backup job pulls from https://{v}@backup.acme-hosting.net/dump.sql.",
        "Clone it with git clone https://{v}@git.internal-corp.io/tools.git first.",
        "Set DATABASE_URL=postgres://{v}@db7.prod-cluster.org:5432/orders in the unit file.",
    ),
    "SECRET": (
        "The leaked configuration contained the key {v}.",
        "Authorization: Bearer {v}",
        "This credential was committed by mistake:\n{v}",
    ),
}

# Technical text shaped like PII but not PII. "{LO-HI}" is a random integer, "{hexN}" N random bytes in hex.
DECOYS = (
    "Upgrade to version {1-9}.{0-20}.{0-9}.{0-99} (released {2001-2024}-{10-12}-{10-28}) first.",
    "Commit {hex20} fixed it; the build id is {hex16}.",
    "The job {hex4}-{hex2}-4{100-999}-a{100-999}-{hex6} finished at {10-23}:{10-59}:{10-59}.",
    "The server listens on 0.0.0.0:{1024-65535} and proxies to 127.0.0.1:{1024-9999}.",
    "Inside the LAN use 192.168.{0-255}.{1-254} or 10.{0-255}.{0-255}.{1-254}; the documentation range is "
    "203.0.113.{1-254}.",
    "Write to maint@example.org or admin@lists.example.com for help.",
    "The book (ISBN 978-{0-1}-{10-99}-{100000-999999}-{0-9}) covers Django, Flask and NumPy in depth.",
    "Django Rest Framework and Flask-Login both build on Werkzeug, as SciPy and Matplotlib build on NumPy.",
    "Copyright {1990-2005}-{2010-2024} Software in the Public Interest, Inc.",
    "It took {1000000-99999999} ns for {100000-9999999} rows at Unix time {1500000000-1800000000}.",
    "AWS's documentation uses the key AKIAIOSFODNN7EXAMPLE and postgres://user:password@localhost/mydb as "
    "placeholders; send Authorization: Bearer <token>.",
    "The NIC's MAC is 00:1a:{10-99}:3c:4d:5e and the IPv6 loopback is ::1, link-local fe80::{1-9999}.",
    "Table {1-9}.{1-9} lists {100-999} {10-99} {1000-9999} bytes per block; see RFC {1000-9999} "
    "section {1-9}.{1-9}.",
)
MATH = (
    "$$\\sum_{i=1}^{{100-999}} x_i = {1000-9999} {1000-9999} {1000-9999} {1000-9999}$$",
    "$f(x) = {100-999}-{10-99}-{1000-9999} \\cdot x$",
    "$$\\mathrm{Var}(X) = E[X^2] - (E[X])^2 = 0.{100000-999999}$$",
)
CODE = (
    '```\nconn = connect(host="{1-223}.{0-255}.{0-255}.{1-254}", port={1024-9999})\n'
    'owner = "John Miller <john.miller@gmail.com>"\nphone = "+1 212 555 {1000-9999}"\n```',
    '    card = "4111 1111 1111 1111"\n    ssn = "{100-599}-{10-99}-{1000-9999}"',
)
_SLOT = re.compile(r"\{(\d+)-(\d+)\}|\{hex(\d+)\}")


def fill(template: str, rng: random.Random) -> str:
    """`template` with each "{LO-HI}" and "{hexN}" slot replaced by a random value."""
    return _SLOT.sub(
        lambda m: str(rng.randint(int(m[1]), int(m[2]))) if m[1] else rng.randbytes(int(m[3])).hex(), template
    )


class CorpusBuilder:
    """Documents with planted PII and clean documents with decoys, code and math, from real pages."""

    def __init__(self, seed: int = 13):
        self.rng = random.Random(seed)
        self.maker = PiiMaker(seed)

    def build(self, pages: list[list[Block]], n_docs: int) -> list[EvalDoc]:
        docs = []
        for i, blocks in enumerate(chunks(pages, self.rng)):
            if i >= n_docs:
                break
            docs.append(self.document(blocks, clean=i % 2 == 1))
        return docs

    def document(self, blocks: list[Block], clean: bool) -> EvalDoc:
        doc = EvalDoc("", clean=clean)
        pieces: list[
            tuple[str, str | None]
        ] = []  # (text, kind) kind: None prose, "code", "math", or a PII type
        for block in blocks:
            pieces.append((self._code(block.text), "code") if block.code else (block.text, None))
            roll = self.rng.random()
            if roll < 0.35:
                pieces.append(self._extra(clean))
            elif roll < 0.45:
                pieces.append((fill(self.rng.choice(MATH), self.rng), "math"))
            elif roll < 0.5:
                pieces.append((fill(self.rng.choice(CODE), self.rng), "code"))
        for text, kind in pieces:
            if doc.text:
                doc.text += "\n\n"
            self._append(doc, text, kind)
        return doc

    def _code(self, code: str) -> str:
        if self.rng.random() < 0.7:
            return f"```\n{code}\n```"
        return "\n".join("    " + line for line in code.splitlines())

    def _extra(self, clean: bool) -> tuple[str, str | None]:
        if clean:
            return fill(self.rng.choice(DECOYS), self.rng), None
        entity = self.rng.choice(sorted(TEMPLATES))
        return self.rng.choice(TEMPLATES[entity]), entity

    def _append(self, doc: EvalDoc, text: str, kind: str | None) -> None:
        start = len(doc.text)
        if kind in TEMPLATES:
            value = (self.maker.bearer() if "Bearer" in text else self.maker.makers[kind]()).strip()
            at = text.index("{v}")
            doc.pii.append((start + at, start + at + len(value), kind))
            text = text.replace("{v}", value)
        elif kind in ("code", "math"):
            doc.protected.append((start, start + len(text)))
        doc.text += text
