"""PII redaction, precise on technical text, language-aware, and cheap on documents without PII.

Why not presidio's `AnalyzerEngine().analyze(text)`: it runs spaCy and ~50 recognizers over the whole page
(~1 doc/s on long technical pages), applies English NER to every language, and redacts `Django` as a
person and 127.0.0.1 as PII. Here:
- each recognizer is one fast scan led by a literal or a narrow character class, and candidates are
  validated the way their standard defines them (presidio's IBAN and e-mail checks, Luhn and issuer
  digits, libphonenumber with the page's language and host regions, SSA rules, `ipaddress`), with the
  technical look-alikes (versions, dates, hashes, ports, ISBNs, example domains, loopback IPs) dropped;
- person names follow the `person` policy and run spaCy NER (batched) only for languages with a model,
  only on short windows around candidates;
- code (fenced, indented, or a bare listing of plain text) and $...$ / $$...$$ math stay byte-exact,
  except credentials and secrets, which are what leaks in code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import phonenumbers

from pipeline.pii.hits import Hit, resolve
from pipeline.pii.names import SOFTWARE_NAMES, Page, PersonNames
from pipeline.pii.numbers import NumberRecognizer
from pipeline.pii.recognizers import EmailAddresses, IbanCodes, IpAddresses, credentials, secrets
from pipeline.pii.regions import Regions
from pipeline.pii.replace import Replacer
from pipeline.pii.streets import StreetAddresses
from schemas.config import PiiConfig


class PiiRedactor:
    """Finds and replaces PII; build once per worker (an NER model loads on the first page that needs it)."""

    def __init__(self, config: PiiConfig | None = None):
        self.config = config or PiiConfig()
        wanted = set(self.config.entities)
        software = SOFTWARE_NAMES if self.config.software_names is None else tuple(self.config.software_names)
        recognizers = [
            EmailAddresses(self.config.allowed_domains),
            IpAddresses(self.config.keep_private_ips, software),
            IbanCodes(),
            StreetAddresses(),
            credentials(self.config.allowed_domains),
            secrets(),
        ]
        self.recognizers = [r for r in recognizers if wanted.intersection(r.entities)]
        self.numbers = (
            NumberRecognizer(sorted(wanted)) if wanted.intersection(NumberRecognizer.entities) else None
        )
        self.code_entities = frozenset(self.config.code_entities)
        person = self.config.person if "PERSON" in wanted else "none"
        self.names = PersonNames(person, self.config.ner_models, software, self.config.ner_batch_size)
        self.replace = Replacer(self.config)

    def redact(
        self, text: str, lang: str | None = None, country: str | None = None
    ) -> tuple[str, dict[str, int]]:
        """`text` with PII replaced, and the number of replacements per entity type.

        `lang` (a language-id code) picks the NER model and the phone regions; `country` (ISO 3166, e.g.
        the page's ccTLD) is tried first for phone numbers written without "+".
        """
        return self.redact_batch([text], [lang], [country])[0]

    def redact_batch(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        countries: Sequence[str | None] | None = None,
    ) -> list[tuple[str, dict[str, int]]]:
        """`redact` over many texts, with one batched NER pass for all their name candidates."""
        found = self.find_batch(texts, langs, countries)
        return [self._apply(text, hits) for text, hits in zip(texts, found, strict=True)]

    def find_batch(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        countries: Sequence[str | None] | None = None,
    ) -> list[list[Hit]]:
        """Per text, the non-overlapping hits to redact, in text order."""
        langs = langs if langs is not None else [None] * len(texts)
        countries = countries if countries is not None else [None] * len(texts)
        pages = [self._structured(t, lang, c) for t, lang, c in zip(texts, langs, countries, strict=True)]
        for page in pages:
            self.names.add_candidates(page)
        self.names.confirm(pages)
        return [resolve(page.hits) for page in pages]

    def phone_regions(self, lang: str | None, country: str | None) -> tuple[str, ...]:
        """Regions for national phone formats: the host's, then the language's, then the configured ones."""
        by_lang = self.config.phone_regions_by_lang
        hinted = by_lang.get(lang or "", by_lang.get((lang or "").split("-")[0], []))
        ordered = [country.upper()] if country and country.upper() in phonenumbers.SUPPORTED_REGIONS else []
        return tuple(dict.fromkeys([*ordered, *hinted, *self.config.phone_regions]))

    def _structured(self, text: str, lang: str | None, country: str | None) -> Page:
        regions = Regions(text, self.config.protect_code_math)
        hits = [h for r in self.recognizers for h in r.find(text) if self._outside_code(h, regions)]
        if self.numbers is not None:
            in_code = self.code_entities.intersection(NumberRecognizer.entities)
            skip = (lambda start, end: False) if in_code else regions.overlaps
            contacts = sorted(h.start for h in hits if h.entity == "EMAIL_ADDRESS")
            numbers = self.numbers.find(text, self.phone_regions(lang, country), skip, contacts)
            hits += [h for h in numbers if self._outside_code(h, regions)]
        return Page(text, lang, regions, hits)

    def _outside_code(self, hit: Hit, regions: Regions) -> bool:
        """Whether `hit` may be redacted: outside code and math, or of a type redacted there too."""
        return hit.entity in self.code_entities or not regions.overlaps(hit.start, hit.end)

    def _apply(self, text: str, hits: list[Hit]) -> tuple[str, dict[str, int]]:
        parts: list[str] = []
        counts: Counter[str] = Counter()
        cursor = 0
        for start, end, entity, _ in hits:
            parts += [text[cursor:start], self.replace(entity, text[start:end])]
            counts[entity] += 1
            cursor = end
        parts.append(text[cursor:])
        return "".join(parts), dict(sorted(counts.items()))


_DEFAULT: PiiRedactor | None = None


def redact(text: str, lang: str | None = None) -> tuple[str, dict[str, int]]:
    """Redact `text` with the default configuration (the redactor is built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = PiiRedactor()
    return _DEFAULT.redact(text, lang)
