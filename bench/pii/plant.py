"""PII planted into real documents at recorded spans, with Faker locales the tests and recognizers never used.

The tests generate with en_US, en_GB, de_DE, fr_FR, es_ES, nl_NL and pt_BR; this benchmark draws from
four other locale sets: DEV, HELDOUT and BLIND (all three read miss by miss while improving the
recognizers; BLIND only after it had been measured blind) and BLIND2 (locales none of them nor the tests
use; its misses are read by kind only, never by value).
it_IT, nl_BE and en_IN are the only Faker locales with Italian, Belgian-Dutch and Indian street formats,
and en_US's military addresses the only military ones, so they are in both DEV and HELDOUT; military
addresses are in every split. Values
are Faker's raw output, valid in their numbering plan or not (a person writes an invalid number as
often as a valid one), in the groupings people type. Clean documents get decoys instead: technical
strings that look like PII and are not.
"""

from __future__ import annotations

import base64
import importlib.util
import ipaddress
import logging
import random
import re
import string
from dataclasses import dataclass, field

from faker import Faker
from presidio_analyzer.predefined_recognizers.generic.iban_patterns import regex_per_country

from bench.pii.corpus import BaseDoc, Block
from schemas.hashing import stable_hash

# Countries of the ISO 13616 IBAN registry: Faker also makes "IBANs" for countries that have none (AR, PH).
IBAN_COUNTRIES = frozenset(regex_per_country)
logging.getLogger("faker").setLevel(logging.ERROR)  # en_PH's bank provider warns on every call

DEV = (
    "en_CA", "en_IE", "en_IN", "de_AT", "fr_CH", "es_MX", "it_IT", "nl_BE", "pt_PT", "pl_PL", "sv_SE",
    "cs_CZ", "ja_JP", "zh_CN",
)  # fmt: skip
HELDOUT = (
    "en_AU", "en_NZ", "en_PH", "en_IN", "de_CH", "fr_CA", "es_AR", "es_CO", "es_CL", "it_IT", "nl_BE",
    "da_DK", "fi_FI", "no_NO", "hu_HU", "ro_RO", "tr_TR", "ko_KR", "zh_TW", "sk_SK",
)  # fmt: skip
# Every Faker 40 locale the tests, DEV and HELDOUT leave out that has a phone, bank, person or Latin-script
# street provider of its own (lv_LV, lt_LT, et_EE, fr_BE, de_LU, de_LI, is_IS, ga_IE, en_KE, en_NG, en_PK
# have no street provider: their streets are not drawn). el_GR, ru_RU and uk_UA write their streets in
# Greek and Cyrillic script: reported apart, as CJK streets are.
BLIND = (
    "en_BD", "en_MS", "en_KE", "en_NG", "en_PK", "ga_IE", "de_LU", "de_LI", "fr_BE", "fr_DZ", "it_CH",
    "hr_HR", "sl_SI", "lv_LV", "lt_LT", "et_EE", "is_IS", "az_AZ", "id_ID", "vi_VN", "zu_ZA", "el_GR",
    "ru_RU", "uk_UA",
)  # fmt: skip
# Chosen after BLIND had been read (2026-11-30), before the recognizers were changed for it: every Faker 40
# locale no other split and no test uses that has a phone, bank, person or street provider of its own, less
# aliases (tl_PH is fil_PH, fr_QC is fr_CA) and bare languages (de, en, es, th). Its misses are read by
# kind only. Latin-script streets come from fil_PH and the military ones; the others write theirs in
# Arabic, Bengali, Persian, Hebrew, Devanagari, Armenian, Georgian, Cyrillic, Tamil or Thai script.
BLIND2 = (
    "am_ET", "ar_AA", "ar_AE", "ar_DZ", "ar_JO", "ar_PS", "ar_SA", "bg_BG", "bn_BD", "bs_BA", "en_TH",
    "es_CA", "fa_IR", "fil_PH", "gu_IN", "ha_NG", "he_IL", "hi_IN", "hy_AM", "ig_NG", "ka_GE", "mk_MK",
    "mr_IN", "ne_NP", "or_IN", "si_LK", "sw", "ta_IN", "th_TH", "tw_GH", "uz_UZ", "yo_NG",
)  # fmt: skip
SPLITS = {"dev": DEV, "heldout": HELDOUT, "blind": BLIND, "blind2": BLIND2}
# (base-text seed, planting seed): BLIND draws other base documents where a language has more than
# enough, so that its clean documents are not the ones the other splits' false alarms were read on.
SEEDS = {
    "dev": (7, 13), "heldout": (7, 13), "blind": (29, 31), "blind2": (41, 43),
    "mimesis": (53, 59), "mimesis2": (61, 67),  # mimesis's locales: bench/pii/mimesis_values.py
}  # fmt: skip
# Street styles the issue names (US, UK, EU, Indian, military); addresses in non-Latin scripts (CJK,
# Greek, Cyrillic, Arabic, Indic, ...) are reported apart, as NON_LATIN_ADDRESS; names in those scripts
# are not planted (names are scored on English documents only, where a name is written in Latin script).
_NON_LATIN = (
    "ja_JP", "zh_CN", "zh_TW", "ko_KR", "el_GR", "ru_RU", "uk_UA", "ar_AA", "ar_DZ", "ar_PS", "ar_SA",
    "bg_BG", "bn_BD", "fa_IR", "gu_IN", "he_IL", "hi_IN", "hy_AM", "ka_GE", "mk_MK", "mr_IN", "ne_NP",
    "or_IN", "si_LK", "ta_IN", "th_TH",
)  # fmt: skip
_NO_STREETS = ("ja_JP", "zh_CN", "zh_TW", "ko_KR", "pl_PL", "sv_SE", "cs_CZ", "da_DK", "fi_FI", "no_NO",
               "hu_HU", "ro_RO", "tr_TR", "sk_SK")  # fmt: skip
# The document's language -> locales whose values a page in that language most often carries.
_LANG_LOCALES = {
    "de": ("de_AT", "de_CH", "de_LU", "de_LI"),
    "fr": ("fr_CH", "fr_CA", "fr_BE", "fr_DZ"),
    "es": ("es_MX", "es_AR", "es_CO", "es_CL"),
    "it": ("it_IT", "it_CH"),
    "pt": ("pt_PT",),
    "ja": ("ja_JP",),
    "zh-cn": ("zh_CN", "zh_TW"),
}
STRUCTURED = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "STREET_ADDRESS",
    "URL_CREDENTIALS", "SECRET",
)  # fmt: skip


@dataclass
class EvalDoc:
    """One document: text, planted spans (start, end, type, style) and code/math spans (start, end)."""

    text: str
    source_lang: str
    path: str
    clean: bool
    pii: list[tuple[int, int, str, str]] = field(default_factory=list)
    protected: list[tuple[int, int]] = field(default_factory=list)
    lang: str | None = None  # set by language id, as the pipeline does before PII


class ValueSource:
    """Values of one split, by type, each with a style label (locale, card type, grouping); the
    generator-neutral draws (locale choice, tokens and keys) live here, the generator's in subclasses."""

    # Types a source can make ({TYPE} slots of TEMPLATES); templates with any other slot are not drawn.
    kinds: frozenset[str] = frozenset((*STRUCTURED, "PERSON", "NON_LATIN_ADDRESS", "BEARER"))
    lang_locales: dict[str, tuple[str, ...]] = {}
    unread: frozenset[str] = frozenset()  # styles whose missed values `evaluate --misses` must not print

    def __init__(self, locales: tuple[str, ...], seed: int):
        self.rng = random.Random(seed)
        self.locales = locales

    def locale(self, lang: str, candidates: tuple[str, ...] | None = None) -> str:
        """A locale of the split: most often one of the document's language when the split has one."""
        pool = candidates or self.locales
        own = [loc for loc in self.lang_locales.get(lang, ()) if loc in pool]
        if own and self.rng.random() < 0.6:
            return self.rng.choice(own)
        return self.rng.choice(pool)

    def make(self, kind: str, lang: str) -> tuple[str, str]:
        return getattr(self, kind.lower())(lang)

    def secret(self, lang: str) -> tuple[str, str]:
        rng = self.rng
        kind = rng.randrange(4)
        alnum = string.ascii_letters + string.digits
        if kind == 0:
            return "AKIA" + "".join(
                rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)
            ), "aws"
        if kind == 1:
            return "ghp_" + "".join(rng.choice(alnum) for _ in range(36)), "github"
        if kind == 2:
            parts = "-".join(str(rng.randint(10**11, 10**12)) for _ in range(2))
            return f"xoxb-{parts}-" + "".join(rng.choice(alnum) for _ in range(24)), "slack"
        body = base64.b64encode(rng.randbytes(600)).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN RSA PRIVATE KEY-----\n{lines}\n-----END RSA PRIVATE KEY-----", "private key"

    def bearer(self, lang: str) -> tuple[str, str]:
        return "".join(
            self.rng.choice(string.ascii_letters + string.digits + "-_.") for _ in range(48)
        ), "bearer"


class Values(ValueSource):
    """Faker values of one locale split."""

    lang_locales = _LANG_LOCALES

    def __init__(self, split: str, seed: int):
        super().__init__(SPLITS[split], seed)
        self.fakers = {loc: Faker(loc) for loc in (*self.locales, "en_US")}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed + i)
            for provider in f.providers:  # it_IT lists its cities from a set: their order changed every run
                if type(provider).__module__ == "faker.providers.address.it_IT":
                    provider.cities = sorted(provider.cities)

    def localized(self, provider: str, method: str) -> tuple[str, ...]:
        """Locales of the split with their own Faker `provider` that has `method` (others fall back to a
        generic or en_US format, or lack it)."""
        return tuple(
            loc
            for loc in self.locales
            if importlib.util.find_spec(f"faker.providers.{provider}.{loc}")
            and hasattr(self.fakers[loc], method)
        )

    def person(self, lang: str) -> tuple[str, str]:
        loc = self.locale(lang, tuple(x for x in self.locales if x not in _NON_LATIN))
        f = self.fakers[loc]
        return f"{f.first_name()} {f.last_name()}", loc

    def email_address(self, lang: str) -> tuple[str, str]:
        loc = self.locale(lang)
        f = self.fakers[loc]
        return self.rng.choice((f.free_email, f.company_email))(), loc

    def phone_number(self, lang: str) -> tuple[str, str]:
        while True:  # ar_AE and ar_JO also draw service numbers ("922", "1486"): nobody's contact data
            loc = self.locale(lang, self.localized("phone_number", "phone_number"))
            value = self.fakers[loc].phone_number()
            if sum(c.isdigit() for c in value) >= 5:
                return value, loc

    def ip_address(self, lang: str) -> tuple[str, str]:
        f = self.fakers[self.locale(lang)]
        if self.rng.random() < 0.6:
            return f.ipv4_public(), "ipv4"
        while True:
            address = ipaddress.ip_address(f.ipv6())
            if address.is_global:
                return (
                    (address.compressed, "ipv6")
                    if self.rng.random() < 0.5
                    else (address.exploded, "ipv6 full")
                )

    def credit_card(self, lang: str) -> tuple[str, str]:
        f = self.fakers["en_US"]  # card numbers are the same everywhere; some locales drop card types
        kind = self.rng.choice(("amex", "diners", "discover", "jcb15", "jcb16", "maestro", "mastercard",
                                "visa13", "visa16", "visa19"))  # fmt: skip
        number = f.credit_card_number(kind)
        style = self.rng.choice(("bare", "fours", "fours", "random"))
        sep = self.rng.choice((" ", "-"))
        if style == "fours":
            groups = [number[i : i + 4] for i in range(0, len(number), 4)]
        elif style == "random":  # any grouping: 3 to 6 digits a group
            groups, i = [], 0
            while i < len(number):
                size = min(self.rng.randint(3, 6), len(number) - i)
                groups.append(number[i : i + size])
                i += size
        else:
            groups = [number]
        return sep.join(groups), f"{kind} {len(number)} {style}"

    def iban_code(self, lang: str) -> tuple[str, str]:
        while True:  # Faker makes up a GB format, or the country's own, where a country has no IBAN
            loc = self.locale(lang, self.localized("bank", "iban"))
            value = self.fakers[loc].iban()
            if value[:2] == loc[-2:] and value[:2] in IBAN_COUNTRIES:
                break
        if self.rng.random() < 0.5:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4)), f"{loc} grouped"
        return value, f"{loc} compact"

    def us_ssn(self, lang: str) -> tuple[str, str]:
        return self.fakers["en_US"].ssn(), "en_US"

    def street_address(self, lang: str) -> tuple[str, str]:
        if self.rng.random() < 0.1:
            f = self.fakers["en_US"]
            make = self.rng.choice((
                lambda: f"{f.military_apo()}\nAPO {f.military_state()} {f.postcode()}",
                lambda: f"{f.military_dpo()}\nDPO {f.military_state()} {f.postcode()}",
                lambda: f"{f.military_ship()} {f.last_name()}\nFPO {f.military_state()} {f.postcode()}",
            ))  # fmt: skip
            return make(), "military"
        loc = self.locale(
            lang, tuple(x for x in self.localized("address", "street_address") if x not in _NO_STREETS)
        )
        return self.fakers[loc].street_address(), loc

    def non_latin_address(self, lang: str) -> tuple[str, str]:
        loc = self.rng.choice([x for x in self.localized("address", "address") if x in _NON_LATIN])
        return self.fakers[loc].address().replace("\n", " "), loc

    def url_credentials(self, lang: str) -> tuple[str, str]:
        f = self.fakers[self.locale(lang)]
        return f"{f.user_name()}:{f.password(length=self.rng.randint(8, 16), special_chars=False)}", "faker"

    def city_line(self, lang: str) -> str:
        f = self.fakers[self.locale(lang, tuple(x for x in self.locales if x not in _NON_LATIN))]
        return f"{f.postcode()} {f.city()}"


# Sentences that carry values, by document language. {TYPE} is a planted span; {CITY_LINE} is filler.
_COMMON = (
    "git clone https://{URL_CREDENTIALS}@git.internal-corp.io/tools.git",
    "DATABASE_URL=postgres://{URL_CREDENTIALS}@db7.prod-cluster.org:5432/orders",
    "Authorization: Bearer {BEARER}",
    "{SECRET}",
)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "Questions about this section can be sent to {EMAIL_ADDRESS}.",
        "Send bug reports to {PERSON} <{EMAIL_ADDRESS}>.",
        "Contact: {PERSON}, {PHONE_NUMBER}",
        "For urgent problems call {PHONE_NUMBER} during office hours.",
        "You can reach the on-call administrator at {PHONE_NUMBER} or {EMAIL_ADDRESS}.",
        "Best regards,\n{PERSON}\n{STREET_ADDRESS}\n{CITY_LINE}\nTel. {PHONE_NUMBER}",
        "Please ship the replacement disk to {PERSON}, {STREET_ADDRESS}, {CITY_LINE}.",
        "Our office moved to {STREET_ADDRESS} last year.",
        "The order was paid with card {CREDIT_CARD}.",
        "Card number: {CREDIT_CARD}, expiry 09/27",
        "Please charge {CREDIT_CARD} for the renewal.",
        "Donations can be wired to IBAN {IBAN_CODE}.",
        "Refunds go to account {IBAN_CODE}.",
        "The attack traffic came from {IP_ADDRESS} according to the firewall log.",
        "sshd[2231]: Failed password for root from {IP_ADDRESS} port 52144 ssh2",
        "Her SSN {US_SSN} appeared in the breach notice.",
        "--\n{PERSON}\n{PHONE_NUMBER}\n{EMAIL_ADDRESS}",
        *_COMMON,
    ),
    "de": (
        "Fragen zu diesem Abschnitt bitte an {EMAIL_ADDRESS}.",
        "Ansprechpartner: {PERSON}, Tel. {PHONE_NUMBER}",
        "Bei dringenden Problemen erreichen Sie uns unter {PHONE_NUMBER}.",
        "Mit freundlichen Grüßen\n{PERSON}\n{STREET_ADDRESS}\n{CITY_LINE}\nTelefon: {PHONE_NUMBER}",
        "Unser Büro befindet sich jetzt in der {STREET_ADDRESS}.",
        "Bezahlt wurde mit der Karte {CREDIT_CARD}.",
        "Spenden bitte auf das Konto {IBAN_CODE}.",
        "Der Angriff kam laut Firewall-Log von {IP_ADDRESS}.",
        "Kontakt: {PERSON} <{EMAIL_ADDRESS}>",
        *_COMMON,
    ),
    "fr": (
        "Les questions sur cette section peuvent être envoyées à {EMAIL_ADDRESS}.",
        "Contact : {PERSON}, tél. {PHONE_NUMBER}",
        "En cas d'urgence, appelez le {PHONE_NUMBER}.",
        "Cordialement,\n{PERSON}\n{STREET_ADDRESS}\n{CITY_LINE}\nTél. : {PHONE_NUMBER}",
        "Nos bureaux ont déménagé au {STREET_ADDRESS}.",
        "La commande a été réglée avec la carte {CREDIT_CARD}.",
        "Les dons peuvent être versés sur l'IBAN {IBAN_CODE}.",
        "L'attaque provenait de {IP_ADDRESS} selon le journal du pare-feu.",
        *_COMMON,
    ),
    "es": (
        "Las preguntas sobre esta sección pueden enviarse a {EMAIL_ADDRESS}.",
        "Contacto: {PERSON}, tel. {PHONE_NUMBER}",
        "Para problemas urgentes llame al {PHONE_NUMBER}.",
        "Saludos cordiales,\n{PERSON}\n{STREET_ADDRESS}\n{CITY_LINE}\nTeléfono: {PHONE_NUMBER}",
        "La oficina se trasladó a {STREET_ADDRESS}.",
        "El pedido se pagó con la tarjeta {CREDIT_CARD}.",
        "Las donaciones pueden transferirse a la cuenta {IBAN_CODE}.",
        "El ataque provenía de {IP_ADDRESS} según el registro del cortafuegos.",
        *_COMMON,
    ),
    "it": (
        "Le domande su questa sezione possono essere inviate a {EMAIL_ADDRESS}.",
        "Referente: {PERSON}, tel. {PHONE_NUMBER}",
        "Per problemi urgenti chiamare il {PHONE_NUMBER}.",
        "Cordiali saluti,\n{PERSON}\n{STREET_ADDRESS}\n{CITY_LINE}\nTelefono: {PHONE_NUMBER}",
        "L'ufficio si è trasferito in {STREET_ADDRESS}.",
        "L'ordine è stato pagato con la carta {CREDIT_CARD}.",
        "Le donazioni possono essere versate sull'IBAN {IBAN_CODE}.",
        "L'attacco proveniva da {IP_ADDRESS} secondo il log del firewall.",
        *_COMMON,
    ),
    "pt": (
        "Dúvidas sobre esta seção podem ser enviadas para {EMAIL_ADDRESS}.",
        "Contato: {PERSON}, tel. {PHONE_NUMBER}",
        "Em caso de urgência, ligue para {PHONE_NUMBER}.",
        "Atenciosamente,\n{PERSON}\n{STREET_ADDRESS}\n{CITY_LINE}\nTelefone: {PHONE_NUMBER}",
        "O escritório mudou-se para {STREET_ADDRESS}.",
        "O pedido foi pago com o cartão {CREDIT_CARD}.",
        "As doações podem ser transferidas para o IBAN {IBAN_CODE}.",
        "O ataque veio de {IP_ADDRESS} segundo o registro do firewall.",
        *_COMMON,
    ),
    "ja": (
        "この節に関する質問は {EMAIL_ADDRESS} までお送りください。",
        "連絡先：{PERSON}、電話 {PHONE_NUMBER}",
        "緊急の場合は {PHONE_NUMBER} にお電話ください。",
        "送付先：{STREET_ADDRESS}",
        "送付先：{NON_LATIN_ADDRESS}",
        "注文はカード {CREDIT_CARD} で支払われました。",
        "寄付は IBAN {IBAN_CODE} へお振り込みください。",
        "ファイアウォールのログによると、攻撃は {IP_ADDRESS} から来ました。",
        *_COMMON,
    ),
    "zh-cn": (
        "有关本节的问题请发送至 {EMAIL_ADDRESS}。",
        "联系人：{PERSON}，电话 {PHONE_NUMBER}",
        "紧急问题请拨打 {PHONE_NUMBER}。",
        "邮寄地址：{STREET_ADDRESS}",
        "邮寄地址：{NON_LATIN_ADDRESS}",
        "订单使用卡号 {CREDIT_CARD} 支付。",
        "捐款可汇至 IBAN {IBAN_CODE}。",
        "根据防火墙日志，攻击来自 {IP_ADDRESS}。",
        *_COMMON,
    ),
}

# Technical text shaped like PII but not PII. "{LO-HI}" is a random integer, "{hexN}" N random bytes in hex.
DECOYS = (
    "Upgrade to version {1-9}.{0-20}.{0-9}.{0-99} (released {2001-2024}-{10-12}-{10-28}) first.",
    "Version {1-9}.{0-20}.{0-9} vom {10-28}.{10-12}.{2001-2024} behebt den Fehler.",
    "Paquet {1-9}.{0-20}-{1-9} publié le {10-28}/{10-12}/{2001-2024}.",
    "Commit {hex20} fixed it; the build id is {hex16}.",
    "sha256sum: {hex32}",
    "The job {hex4}-{hex2}-4{100-999}-a{100-999}-{hex6} finished at {10-23}:{10-59}:{10-59}.",
    "The server listens on 0.0.0.0:{1024-65535} and proxies to 127.0.0.1:{1024-9999}.",
    "Inside the LAN use 192.168.{0-255}.{1-254} or 10.{0-255}.{0-255}.{1-254}; the documentation ranges are "
    "203.0.113.{1-254} and 2001:db8::{1-999}.",
    "Write to maint@example.org or root@localhost for help.",
    "The book (ISBN 978-{0-1}-{10-99}-{100000-999999}-{0-9}) covers Django, Flask and NumPy in depth.",
    "ISBN {0-1}-{100-999}-{10000-99999}-{0-9}",
    "Django Rest Framework and Flask-Login both build on Werkzeug, as SciPy and Matplotlib build on NumPy.",
    "Copyright {1990-2005}-{2010-2024} Software in the Public Interest, Inc.",
    "It took {1000000-99999999} ns for {100000-9999999} rows at Unix time {1500000000-1800000000}.",
    "The counter wrapped at 18446744073709551615; INT64_MAX is 9223372036854775807 and 2^32 is 4294967296.",
    "See bug #{100000-1099999}, CVE-{2010-2024}-{1000-49999} and RFC {1000-9999} section {1-9}.{1-9}.",
    "The kernel linux-image-{5-6}.{1-19}.0-{10-30}-amd64 boots on {1000-9999} of {10000-99999} machines.",
    "AWS's documentation uses the key AKIAIOSFODNN7EXAMPLE and postgres://user:password@localhost/mydb as "
    "placeholders; send Authorization: Bearer <token>.",
    "The NIC's MAC is 00:1a:{10-99}:3c:4d:5e and the IPv6 loopback is ::1, link-local fe80::{1-9999}.",
    "Table {1-9}.{1-9} lists {100-999} {10-99} {1000-9999} bytes per block.",
    "Die Datei ist 1.{100-999}.{100-999} Bytes groß, le fichier fait 1 {100-999} {100-999} octets.",
    "Stripe's test card 4242 4242 4242 4242 and PayPal's 4111 1111 1111 1111 never charge anyone.",
    "Resolution {1024-3840}x{768-2160}, {1-9}.{0-9} GHz, {1000-9999} MHz; set ulimit -n {100000-1048576}.",
    "Le {10-28}/{10-12}/{2001-2024} à {10-23}h{10-59}, 2024年{1-12}月{1-28}日, {10-28}.{10-12}.{2001-2024}.",
)
MATH = (
    "$$\\sum_{i=1}^{{100-999}} x_i = {1000-9999} {1000-9999} {1000-9999} {1000-9999}$$",
    "$f(x) = {100-999}-{10-99}-{1000-9999} \\cdot x$",
    "$$\\mathrm{Var}(X) = E[X^2] - (E[X])^2 = 0.{100000-999999}$$",
)
CODE = (
    '```\nconn = connect(host="{1-223}.{0-255}.{0-255}.{1-254}", port={1024-9999})\n'
    'owner = "John Miller <john.miller@gmail.com>"\nphone = "+1 212 555 {1000-9999}"\n```',
    '    card = "4556 7375 8689 9855"\n    ssn = "{100-599}-{10-99}-{1000-9999}"',
)
_SLOT = re.compile(r"\{(\d+)-(\d+)\}|\{hex(\d+)\}")
_VALUE = re.compile(r"\{([A-Z_]+)\}")


def fill(template: str, rng: random.Random) -> str:
    """`template` with each "{LO-HI}" and "{hexN}" slot replaced by a random value."""
    return _SLOT.sub(
        lambda m: str(rng.randint(int(m[1]), int(m[2]))) if m[1] else rng.randbytes(int(m[3])).hex(), template
    )


def values_for(split: str, seed: int) -> ValueSource:
    """The value source of a split: Faker's locales, or mimesis's (imported only for its splits)."""
    if split in SPLITS:
        return Values(split, seed)
    from bench.pii.mimesis_values import MimesisValues  # mimesis_values builds on this module

    return MimesisValues(split, seed)


class Planter:
    """Turns base documents into evaluation documents: PII planted in half of them, decoys in the rest."""

    def __init__(self, split: str, seed: int | None = None):
        seed = SEEDS[split][1] if seed is None else seed
        self.rng = random.Random(seed)
        self.values = values_for(split, seed)
        self.templates = {
            lang: [t for t in templates if set(_VALUE.findall(t)) - {"CITY_LINE"} <= self.values.kinds]
            for lang, templates in TEMPLATES.items()
        }

    def build(self, base: list[BaseDoc]) -> list[EvalDoc]:
        return [self.document(b, clean=i % 2 == 1) for i, b in enumerate(base)]

    def document(self, base: BaseDoc, clean: bool) -> EvalDoc:
        doc = EvalDoc("", base.source_lang, base.path, clean)
        lang = base.source_lang
        pieces: list[tuple[str, str | None]] = []  # (text, kind): None prose, "code", "math", "pii"
        for block in base.blocks:
            pieces.append((self._code(block), "code") if block.code else (block.text, None))
            roll = self.rng.random()
            if roll < 0.15:
                pieces.append(
                    (fill(self.rng.choice(DECOYS), self.rng), None)
                    if clean
                    else (self._template(lang), "pii")
                )
            elif roll < 0.2:
                pieces.append((fill(self.rng.choice(MATH), self.rng), "math"))
            elif roll < 0.22:
                pieces.append((fill(self.rng.choice(CODE), self.rng), "code"))
        if not clean and not any(kind == "pii" for _, kind in pieces):
            pieces.insert(self.rng.randrange(len(pieces) + 1), (self._template(lang), "pii"))
        for text, kind in pieces:
            if doc.text:
                doc.text += "\n\n"
            self._append(doc, text, kind, lang)
        return doc

    def _code(self, block: Block) -> str:
        """A <pre> block as extractors write it: fenced (markdown), bare (the native extractor's plain
        text, the pipeline's default) or indented. Bare or fenced is decided by the text's hash, not the
        generator, so the rest of every split plants what it planted before bare blocks were added."""
        if self.rng.random() < 0.7:
            return f"```\n{block.text}\n```" if stable_hash(block.text) % 2 else block.text
        return "\n".join("    " + line for line in block.text.splitlines())

    def _template(self, lang: str) -> str:
        return self.rng.choice(self.templates[lang])

    def _append(self, doc: EvalDoc, text: str, kind: str | None, lang: str) -> None:
        start = len(doc.text)
        if kind == "pii":
            out, cursor = [], 0
            for match in _VALUE.finditer(text):
                out.append(text[cursor : match.start()])
                offset = start + sum(len(p) for p in out)
                name = match.group(1)
                if name == "CITY_LINE":
                    out.append(self.values.city_line(lang))
                else:
                    value, style = self.values.make(name, lang)
                    entity = "SECRET" if name == "BEARER" else name
                    if entity == "STREET_ADDRESS" and style in _NON_LATIN:
                        entity = "NON_LATIN_ADDRESS"
                    doc.pii.append((offset, offset + len(value), entity, style))
                    out.append(value)
                cursor = match.end()
            out.append(text[cursor:])
            text = "".join(out)
        elif kind in ("code", "math"):
            doc.protected.append((start, start + len(text)))
        doc.text += text
