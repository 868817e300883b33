"""Formats from the real world: payment cards of 12 to 19 digits in any grouping, national and international
phone numbers of many regions, street addresses in US, UK, Dutch, German, French, Spanish, Italian, Indian
and military styles; then Faker values of the tests' locales in sentences.

The benchmark (bench/pii) draws from other Faker locales, so the recognizers are measured on formats these
tests do not contain.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest

from pipeline.pii import PiiRedactor
from pipeline.pii.numbers import luhn_ok
from schemas.config import PiiConfig

# The tests' Faker locales; bench/pii/plant.py uses others.
TEST_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "nl_NL", "pt_BR")


@pytest.fixture(scope="module")
def redactor() -> PiiRedactor:
    return PiiRedactor(PiiConfig(person="none"))


def found(redactor: PiiRedactor, text: str, value: str, entity: str, lang: str = "en") -> bool:
    """Whether every character of `value` in `text` lies in one redacted span of type `entity`."""
    start = text.index(value)
    return any(
        s <= start and e >= start + len(value) and t == entity
        for s, e, t, _ in redactor.find_batch([text], [lang])[0]
    )


def card(prefix: str, length: int) -> str:
    body = prefix + "".join(str((7 * i + 3) % 10) for i in range(length - len(prefix) - 1))
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


def grouped(number: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return sep.join(parts)


# (issuer, number, groupings): Maestro 12, Visa 13, Diners 14, Amex 15, Mastercard 16, UnionPay 17-19, Visa 19
CARDS = [
    ("maestro 12", card("501800", 12), [(12,), (4, 4, 4)]),
    ("visa 13", card("4", 13), [(13,), (4, 4, 5)]),
    ("diners 14", card("36", 14), [(14,), (4, 6, 4)]),
    ("amex 15", card("37", 15), [(15,), (4, 6, 5), (4, 4, 4, 3)]),
    ("mastercard 16", card("5412", 16), [(16,), (4, 4, 4, 4), (8, 8)]),
    ("mastercard 2-series", card("2223", 16), [(4, 4, 4, 4)]),
    ("unionpay 17", card("62", 17), [(17,), (4, 4, 4, 5)]),
    ("unionpay 18", card("62", 18), [(6, 12), (4, 4, 4, 4, 2)]),
    ("visa 19", card("4", 19), [(19,), (4, 4, 4, 4, 3), (6, 13)]),
    ("discover 19", card("6011", 19), [(4, 4, 4, 4, 3), (5, 5, 5, 4)]),
]
CARD_CASES = [
    (f"{name} {'-'.join(map(str, sizes))} '{sep}'", grouped(number, sizes, sep))
    for name, number, groupings in CARDS
    for sizes in groupings
    for sep in ((" ", "-") if len(sizes) > 1 else ("",))
]


@pytest.mark.parametrize(("case", "value"), CARD_CASES, ids=[c for c, _ in CARD_CASES])
def test_cards_of_12_to_19_digits_in_any_grouping(redactor, case, value):
    assert found(redactor, f"Please charge {value} for the renewal.", value, "CREDIT_CARD")
    assert found(redactor, f"Card number: {value}", value, "CREDIT_CARD")


def test_a_card_grouped_in_thousands_needs_the_word_card(redactor):
    number = card("50180", 12)
    thousands = grouped(number, (3, 3, 3, 3), " ")
    assert not found(redactor, f"The total was {thousands} units.", thousands, "CREDIT_CARD")
    assert found(redactor, f"Maestro card {thousands}, expiry 09/27.", thousands, "CREDIT_CARD")


@pytest.mark.parametrize("number", ["4242 4242 4242 4242", "4111 1111 1111 1111", "4111-1111-1111-1111"])
def test_a_published_test_card_is_no_phone_in_a_contact_block(redactor, number):
    """Stripe's and PayPal's test numbers charge no one; beside an e-mail address they are still cards."""
    text = f"Uploaders: John Buzz <john.buzz@mailbox.org>, Stripe's test card {number} charges no one."
    assert not [h for h in redactor.find_batch([text], ["en"])[0] if h[2] in ("PHONE_NUMBER", "CREDIT_CARD")]
    real = grouped(card("4", 16), (4, 4, 4, 4), " ")  # a card that is no test number, in the same place
    assert found(redactor, text.replace(number, real), real, "CREDIT_CARD")


def test_a_column_of_timestamps_holds_no_card(redactor):
    """A tracer's microsecond timestamps share their first ten digits; one in ten passes Luhn, and 15
    digits starting with 1 is UATP's shape. A card written twice, or beside another of its issuer, is one."""
    stamps = (  # Python's instrumentation HOWTO, SystemTap's output
        "156641360502280 156641360518804 156641360532797 156641360546807 156641360563367 156641360578365 "
        "156641360591757 156641360605556 156641360617482 156641360629814 156641360642285 156641360656770"
    ).split()
    column = "\n".join(f"{stamp}  function-entry: call_stack.py:f{i}:5" for i, stamp in enumerate(stamps))
    assert any(luhn_ok(stamp) for stamp in stamps)  # the decoy holds numbers that are card-shaped alone
    hits = redactor.find_batch([f"The output:\n\n{column}"], ["en"])[0]
    assert not [h for h in hits if h[2] == "CREDIT_CARD"]
    first, second = card("41", 16), card("4123456", 16)
    twice = f"Charge {first} now, and {first} again next month; the old one was {second}."
    hits = [h for h in redactor.find_batch([twice], ["en"])[0] if h[2] == "CREDIT_CARD"]
    assert len(hits) == 3


# libphonenumber's example numbers of 30 regions, as their own country writes them and as the world does.
PHONE_REGIONS = (
    "US GB DE FR ES IT NL BE CH AT PT BR MX AR CO CL IN JP CN KR AU NZ ZA IE SE NO DK FI PL CZ".split()
)
PHONE_CASES = [
    (region, style, phonenumbers.format_number(phonenumbers.example_number(region), fmt))
    for region in PHONE_REGIONS
    for style, fmt in (
        ("national", phonenumbers.PhoneNumberFormat.NATIONAL),
        ("international", phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )
]


@pytest.mark.parametrize(
    ("region", "style", "value"), PHONE_CASES, ids=[f"{r}-{s}" for r, s, _ in PHONE_CASES]
)
def test_phone_numbers_of_thirty_regions(redactor, region, style, value):
    assert found(redactor, f"For urgent problems call {value} during office hours.", value, "PHONE_NUMBER")
    if style == "international":  # "+" and a country code need no cue word
        assert found(redactor, f"Our office: {value}.", value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Tel. +44(0)1632 960 504", "+44(0)1632 960 504"),
        ("Bel ons op (015)-7061217 voor vragen.", "(015)-7061217"),
        ("Telefone: +55 12 1725-2441", "+55 12 1725-2441"),
        ("Phone: 206.269.0743x9150", "206.269.0743x9150"),
        ("Call +1-780-563-6083x7783 after six.", "+1-780-563-6083x7783"),
        ("Appelez le 01.42.68.53.00 demain.", "01.42.68.53.00"),
        ("Rufen Sie 030/1234567 an.", "030/1234567"),
        ("緊急の場合は 03-1234-5678 にお電話ください。", "03-1234-5678"),
        ("紧急问题请拨打 13912345678。", "13912345678"),
        ("--\nMiłosz Wiewiórka\n574 517 221\nmilosz.w@gmail.com", "574 517 221"),
        # the country code in parentheses after the "+" (Latvian, Lithuanian, Singaporean directories)
        ("Tālrunis / Phone: +(371) 67 028 398", "+(371) 67 028 398"),
        ("Call us: +(65) 6225 5577, Mon-Fri.", "+(65) 6225 5577"),
        # Luxembourg's six-digit national numbers, with a cue word or in a contact block
        ("Tél. : 47 96 27 34 ou 22 51 43", "22 51 43"),
        ("Bei Fragen erreichen Sie uns unter 4 796 27.", "4 796 27"),
        ("--\nClaire Weber\n26 48 31\nclaire.weber@pt.lu", "26 48 31"),
        # a dash before the area code in parentheses (Russian, Ukrainian, Kazakh, Estonian directories)
        ("Телефон / Phone: +7-(922)-446-70-08", "+7-(922)-446-70-08"),
        ("For urgent problems call +380-(66)-244-67-00 during office hours.", "+380-(66)-244-67-00"),
        ("Tel. +372-(8)-3402-4003", "+372-(8)-3402-4003"),
    ],
)
def test_phone_formats_people_write(redactor, text, value):
    assert found(redactor, text, value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    "text",
    [
        "We reach 250 000 readers a month and 120 000 more in print.",  # thousands after a cue word
        "The table has 12 34 56 rows; see 26 48 31 in the index.",  # six digits without a cue
        "Telefonate im Jahr: 250.000, Anrufe: 120.000",  # German thousands after a cue word
        "Package: libxml-libxml-perl\nVersion: 2.0207-1\nMaintainer: Raphael Hertzog <hertzog@debian.org>",
        "Counts: 10-(5)-3 and x = 2014-(2)-15",  # a dash and a parenthesis in arithmetic
        "If p is unspecified, return the quantiles for [0 25 50 75 100].",  # Octave's manual: a vector
    ],
)
def test_short_numbers_without_a_phone_cue_stay(redactor, text):
    assert not [h for h in redactor.find_batch([text], ["en"])[0] if h[2] == "PHONE_NUMBER"]


def test_networks_in_cidr_notation_and_protocol_addresses_are_no_hosts(redactor):
    text = (
        "2002::/16 is 6to4 and 2001:db00::0/24 a valid network; 81.2.69.0/24 is routed. 192.0.0.0/24 is "
        "private except 192.0.0.9/32 and 192.0.0.10/32. The host 81.2.69.160/32 and "
        "2a00:1450:4001:82a::200e/64 sent the attack."
    )
    hits = [text[s:e] for s, e, t, _ in redactor.find_batch([text], ["en"])[0] if t == "IP_ADDRESS"]
    assert hits == ["81.2.69.160", "2a00:1450:4001:82a::200e"]


STREETS = [
    ("US", "Letters can be sent to 1600 Amphitheatre Parkway, Mountain View.", "1600 Amphitheatre Parkway"),
    (
        "US suite",
        "Our office moved to 838 Washington Knolls Suite 508 last year.",
        "838 Washington Knolls Suite 508",
    ),
    ("US ordinal", "The shop is at 350 5th Avenue, New York.", "350 5th Avenue"),
    ("UK flat", "Write to Flat 3, 27 Baker Street, London.", "Flat 3, 27 Baker Street"),
    ("UK studio", "Studio 12\nO'Neill Isle\nLondon", "Studio 12\nO'Neill Isle"),
    ("Australia unit", "Ship it to Unit 5, 12 Smith Street, Sydney.", "Unit 5, 12 Smith Street"),
    ("NZ rural", "Deliver to 26 Shaw-Baker Track RD 10, Whanganui.", "26 Shaw-Baker Track RD 10"),
    ("Dutch", "Ons kantoor zit aan de Keizersgracht 123 in Amsterdam.", "Keizersgracht 123"),
    ("Dutch opener", "Het adres is Van Baerlestraat 12, Amsterdam.", "Van Baerlestraat 12"),
    ("Belgian box", "Stuur het naar Kerkstraat 12 bus 3, Gent.", "Kerkstraat 12 bus 3"),
    ("German", "Das Büro ist in die Alf-Blümel-Allee 253 umgezogen.", "Alf-Blümel-Allee 253"),
    ("German adjective", "Wir wohnen in der Alte Landstraße 4a.", "Alte Landstraße 4a"),
    ("Austrian stairs", "Die Wohnung liegt in der Hauptstraße 5/3/12, Wien.", "Hauptstraße 5/3/12"),
    ("French", "Écrivez-nous au 12, rue de la Paix, Paris.", "12, rue de la Paix"),
    ("French avenue", "Le siège est au 8 avenue Victor Hugo.", "8 avenue Victor Hugo"),
    ("Swiss French", "Adresse : Rue du Lac 12, Genève.", "Rue du Lac 12"),
    (
        "Quebec",
        "Livrez au 1234, rue Sainte-Catherine Ouest, app. 5, Montréal.",
        "1234, rue Sainte-Catherine Ouest, app. 5",
    ),
    ("Spanish", "La oficina está en Calle de Alcalá 45, Madrid.", "Calle de Alcalá 45"),
    (
        "Spanish floor",
        "Vivo en Avenida de la Constitución 3, Piso 2, Sevilla.",
        "Avenida de la Constitución 3, Piso 2",
    ),
    (
        "Argentina",
        "Envíelo a Av. Corrientes 1234, Piso 5, Depto. B, Buenos Aires.",
        "Av. Corrientes 1234, Piso 5, Depto. B",
    ),
    ("Colombia", "La sede queda en la Carrera 7 No. 71-21, Bogotá.", "Carrera 7 No. 71-21"),
    ("Mexico", "Calzada de Tlalpan 1924 Int. 3, Coyoacán.", "Calzada de Tlalpan 1924 Int. 3"),
    ("Italian", "Scrivete a Via Roma, 12, Milano.", "Via Roma, 12"),
    ("Italian square", "L'ufficio è in Piazza Navona 45 Scala B, Roma.", "Piazza Navona 45 Scala B"),
    ("Portuguese", "Morada: Rua das Flores, 100, Porto.", "Rua das Flores, 100"),
    ("without a number", "Endereço: Largo do Carmo, S/N, Lisboa.", "Largo do Carmo, S/N"),
    (
        "Indian house number",
        "Send it to H.No. 12-3-45, Sharma Road, Hyderabad.",
        "H.No. 12-3-45, Sharma Road",
    ),
    ("Indian", "The office is at 45/2 Rajaji Marg, New Delhi.", "45/2 Rajaji Marg"),
    ("Indian flat", "Flat No. 3B, Gandhi Nagar, Jaipur", "Flat No. 3B, Gandhi Nagar"),
    ("military PSC", "PSC 1234, Box 5678\nAPO AE 09123", "PSC 1234, Box 5678\nAPO AE 09123"),
    ("military unit", "Unit 2050 Box 4190\nAPO AP 96278", "Unit 2050 Box 4190\nAPO AP 96278"),
    ("military ship", "USS Ronald Reagan\nFPO AP 96616", "USS Ronald Reagan\nFPO AP 96616"),
    ("PO box", "Reply to PO Box 1234, Springfield.", "PO Box 1234"),
    ("Postfach", "Antwort an Postfach 10 12 34, Berlin.", "Postfach 10 12 34"),
    # USPS Publication 28: post-directionals, capital unit designators, the unit on the line below
    ("US post-directional", "Ship to 287 Park Avenue South, New York, NY 10010.", "287 Park Avenue South"),
    ("US abbreviated post-directional", "Mail it to 12 Main St NW, Washington.", "12 Main St NW"),
    ("US capital suite", "Bird Buddy Inc. | 169 Madison Ave STE 15233 New York", "169 Madison Ave STE 15233"),
    (
        "US unit below",
        "c/o Special Investigations\n21 Jump Street\nSuite 28A\nMetropolis",
        "21 Jump Street\nSuite 28A",
    ),
    ("US street before its town", "Mila Willow\n498 Brush St Detroit, MI 48226, USA", "498 Brush St"),
    (
        "US ordinal floor",
        "Head office: 175 Water Street, 18th Floor, New York, NY 10038",
        "175 Water Street, 18th Floor",
    ),
    ("US type-less over its town", "San Francisco\n300 Broadway,\nSan Francisco, CA 94133", "300 Broadway"),
    # the Philippines' block and lot numbers of a subdivision
    (
        "block and lot",
        "Deliver to Blk 5 Lot 6 Sampaguita Street, Quezon City.",
        "Blk 5 Lot 6 Sampaguita Street",
    ),
    ("block and lot code", "B14 L09 Rose Street, Pasig City", "B14 L09 Rose Street"),
    # a building or a numbered building before the house number
    ("building first", "Deliver to Mcgee Building, 35 Rizal Street.", "Mcgee Building, 35 Rizal Street"),
    ("numbered building", "Ship to Building 5, 12 Smith Street, Sydney.", "Building 5, 12 Smith Street"),
    # a letter after the house number (FGDC's address number suffix), a partition of a house
    ("number suffix", "Mail it to 9005 C Sierra Madre Road, Quezon City.", "9005 C Sierra Madre Road"),
    ("partitioned house", "Our office moved to 6717 Unit J Olson Boulevard.", "6717 Unit J Olson Boulevard"),
    ("Colombia named axis", "La sede queda en la Avenida La Unión # 49-5, Cali.", "Avenida La Unión # 49-5"),
    (
        "Portuguese title",
        "Morada: Largo do Eng.º Machado Vaz, S/N, Porto.",
        "Largo do Eng.º Machado Vaz, S/N",
    ),
    # a street whose type no list holds is an address only beside a label, a flat or a postcode and town
    ("typeless after a label", "送付先：1 Johnny Key", "1 Johnny Key"),
    ("typeless after a label, broken", "邮寄地址：950\nGera\n", "950\nGera"),
    (
        "typeless with a flat after",
        "Our office moved to 89 Lambert Mount Apt. 3 last year.",
        "89 Lambert Mount Apt. 3",
    ),
    (
        "typeless with a flat before",
        "Nos bureaux sont au Apt. 173 84 Simmons Dip.",
        "Apt. 173 84 Simmons Dip",
    ),
    ("typeless over a postcode", "Ship it to Ádám Farkas, 636 Sarkar, 560001 Bengaluru.", "636 Sarkar"),
    # the type after the name, then the number (each country's post): Slovene, Croatian, Czech, Hungarian,
    # Latvian, Lithuanian, Estonian, Turkish, Azerbaijani
    ("Slovene", "Naslov: Trubarjeva ulica 14, 1000 Ljubljana", "Trubarjeva ulica 14"),
    ("Croatian square", "Our office moved to Kongresni trg 5c last year.", "Kongresni trg 5c"),
    ("Croatian stairs", "Pošaljite na Vlaška ulica 70a/3, Zagreb.", "Vlaška ulica 70a/3"),
    ("Czech", "Sídlo firmy: Václavské náměstí 832/19, Praha.", "Václavské náměstí 832/19"),
    ("Hungarian", "Címünk: Kossuth Lajos utca 12, Budapest; raktár: Váci út 5.", "Kossuth Lajos utca 12"),
    ("Hungarian road", "Címünk: Kossuth Lajos utca 12, Budapest; raktár: Váci út 5.", "Váci út 5"),
    ("Latvian", "Birojs atrodas Brīvības iela 21, Rīga.", "Brīvības iela 21"),
    ("Lithuanian", "Please ship it to Gedimino prospektas 9, Vilnius.", "Gedimino prospektas 9"),
    ("Estonian", "Kontor: Pärnu maantee 12, Tallinn.", "Pärnu maantee 12"),
    ("Turkish", "Adres: Atatürk Caddesi No. 54, Kadıköy.", "Atatürk Caddesi No. 54"),
    ("Azerbaijani", "Our office moved to Nizami küçəsi 5 last year.", "Nizami küçəsi 5"),
    # the type first: Romanian, Albanian, Polish, Slovene, Indonesian
    ("Romanian", "Trimiteți la Str. Mihai Eminescu 12, București.", "Str. Mihai Eminescu 12"),
    ("Albanian", "Zyra jonë: Rruga Myslym Shyri 22, Tiranë.", "Rruga Myslym Shyri 22"),
    ("Polish", "Biuro: ul. Marszałkowska 104, Warszawa.", "ul. Marszałkowska 104"),
    ("Slovene type first", "Our office moved to Cesta na Brdo 85 last year.", "Cesta na Brdo 85"),
    ("Indonesian", "Kantor kami pindah ke Jl. Merdeka Barat No. 12, Jakarta.", "Jl. Merdeka Barat No. 12"),
    ("Indonesian alley", "Kirim ke Gg. Mawar No. 7, Bandung.", "Gg. Mawar No. 7"),
    # Malaysia: the house number before the type, the road's section after its name
    ("Malaysian", "Alamat: No. 12, Jalan SS 2/24, Petaling Jaya.", "No. 12, Jalan SS 2/24"),
    ("Malaysian unit", "Ship to B-3-10, Jln Ampang 4/2A, Kuala Lumpur.", "B-3-10, Jln Ampang 4/2A"),
    (
        "Malaysian lot",
        "Our office moved to Lot 81, Lorong Haji Taib 1 last year.",
        "Lot 81, Lorong Haji Taib 1",
    ),
    # Vietnam: "Số", the alley numbers of the house, the lane and the street type, or a name alone
    ("Vietnamese", "Địa chỉ: Số 25 Phố Hàng Bài, Hà Nội.", "Số 25 Phố Hàng Bài"),
    ("Vietnamese lane", "Our office moved to 593 Hẻm 53 Đường số 37 last year.", "593 Hẻm 53 Đường số 37"),
    ("Vietnamese alley, no type", "Please ship it to 56/707 Phạm Ngũ Lão, Quận 1.", "56/707 Phạm Ngũ Lão"),
    # South Africa's Zulu and Afrikaans types; Bangladesh's holding and building numbers
    ("Zulu", "Our office moved to 58 Edendale Isitaladi last year.", "58 Edendale Isitaladi"),
    (
        "Bangladeshi holding",
        "Ship to Flat 5, Holding No. 347, Kazi Nazrul Islam Road, Dhaka.",
        "Flat 5, Holding No. 347, Kazi Nazrul Islam Road",
    ),
    (
        "Bangladeshi building",
        "Our office moved to Building No. 12, North Badda last year.",
        "Building No. 12, North Badda",
    ),
    # German streets named after a place (the adjective in -er, the street word apart) and with a
    # preposition; the Nordic compounds and genitives (PostNord, Posten)
    ("German place adjective", "Unser Büro ist jetzt in der Klandorfer Straße 25.", "Klandorfer Straße 25"),
    ("German 'Am'", "Our office moved to Am Roten Stein 222 last year.", "Am Roten Stein 222"),
    ("German 'In der'", "Das Büro ist in der In der Krim 13 zu finden.", "In der Krim 13"),
    ("Swedish compound", "Our office moved to Brantahallsvägen 72 last year.", "Brantahallsvägen 72"),
    ("Danish genitive", "Our office moved to Fritz Hansens Vej 3 last year.", "Fritz Hansens Vej 3"),
    # Czech and Slovak prepositions and two house numbers; adjective names without "ulica"
    ("Czech preposition", "Our office moved to U Lednice 611 last year.", "U Lednice 611"),
    ("Czech two numbers", "S pozdravem\nJan Novák\nNa Letné 1276/12\n170 00 Praha", "Na Letné 1276/12"),
    ("Croatian adjective", "Our office moved to Mirogojska 39 last year.", "Mirogojska 39"),
    ("Croatian possessive", "Adresa: Bogovićeva 1a, 10000 Zagreb", "Bogovićeva 1a"),
    ("Czech adjective", "Sídlo: Dunajovická 266, Praha.", "Dunajovická 266"),
    # Slovene and Croatian write only the first word capitalized; Croatian Avenija, Polish al.
    ("Slovene lower case", "Pošljite na Ulica prvoborcev 1, 1000 Ljubljana.", "Ulica prvoborcev 1"),
    ("Croatian genitive", "Sjedište: Trg bana Jelačića 3, Zagreb.", "Trg bana Jelačića 3"),
    ("Slovene preposition", "Lep pozdrav\nMaja Novak\nNa cvetači 1a\n1000 Ljubljana", "Na cvetači 1a"),
    ("Croatian avenue", "Our office moved to Avenija Dubrovnik 15 last year.", "Avenija Dubrovnik 15"),
    ("Polish aleja", "Our office moved to al. Jerozolimskie 125 last year.", "al. Jerozolimskie 125"),
    # French types de voie, Galician and Catalan types, lower-case types of running text, regnal numbers
    ("French venelle", "Nos bureaux ont déménagé au 163 Venelle des Vignes.", "163 Venelle des Vignes"),
    (
        "French promenade",
        "Cordialement,\nKenji Brochu\n732 Prom. de la Paix\n27587 Lens",
        "732 Prom. de la Paix",
    ),
    ("Galician", "La oficina se trasladó a Rúa da Canella, 7.", "Rúa da Canella, 7"),
    ("Catalan", "L'oficina és al Carrer de Balmes, 5, Barcelona.", "Carrer de Balmes, 5"),
    ("Spanish lower case", "Está en la calle de Alcalá, 42, de Madrid.", "calle de Alcalá, 42"),
    ("Italian lower case", "Siamo in viale Monza 12, Milano.", "viale Monza 12"),
    (
        "regnal number",
        "Nos bureaux ont déménagé au Calle de Pedro I de Aragón, 84.",
        "Calle de Pedro I de Aragón, 84",
    ),
    ("Canada Post AV", "O escritório mudou-se para 1158 Kerr Av, Toronto.", "1158 Kerr Av"),
    # Spanish names with their particles, over the postcode line
    (
        "Mexican, no type",
        "Saludos,\nDusty Marquez\nLomas del Cobano 885\n42940 Guadalajara",
        "Lomas del Cobano 885",
    ),
    # Pos Indonesia's initials and ranks
    (
        "Indonesian initials",
        "Our office moved to Jl. M.T Haryono No. 16 last year.",
        "Jl. M.T Haryono No. 16",
    ),
    (
        "Indonesian rank",
        "Our office moved to Gg. Jend. A. Yani No. 180 last year.",
        "Gg. Jend. A. Yani No. 180",
    ),
    # two readings of one address make one span: "693, chemin X" and "chemin X, 98631"
    (
        "French, number before and postcode after",
        "Please ship it to Adrien Lejeune, 693, chemin Khaled Benahmed, 16000 Alger.",
        "693, chemin Khaled Benahmed",
    ),
    # Posti's Finnish compounds, with the staircase and flat or "as." after the number
    ("Finnish -katu", "Our office moved to Hämeenkatu 363 last year.", "Hämeenkatu 363"),
    ("Finnish -tie, long vowel", "Toimisto muutti osoitteeseen Siilitie 12 viime vuonna.", "Siilitie 12"),
    (
        "Finnish -tie, genitive",
        "Best regards,\nAino Virtanen\nMannerheimintie 12 B 7\n00100 Helsinki",
        "Mannerheimintie 12 B 7",
    ),
    ("Finnish -kuja", "Our office moved to Kissanpiiskaajankuja 769 last year.", "Kissanpiiskaajankuja 769"),
    ("Finnish -tori", "Posti: Hakaniementori 5, 00530 Helsinki", "Hakaniementori 5"),
    (
        "Finnish flat",
        "Please ship it to Pohjoisesplanadi 33 as. 4, 00100 Helsinki.",
        "Pohjoisesplanadi 33 as. 4",
    ),
    ("Finnish type alone", "Our office moved to Bulevardi 78 last year.", "Bulevardi 78"),
    # PostNL: a first name, title or particle before the compound, and the house number additions
    ("Dutch first name", "Our office moved to Karel Doormanplein 206 last year.", "Karel Doormanplein 206"),
    (
        "Dutch particle",
        "Ons kantoor zit nu aan de Groen van Prinstererlaan 1137.",
        "Groen van Prinstererlaan 1137",
    ),
    (
        "Dutch lower-case particle",
        "Met vriendelijke groet,\nAnna de Vries\nten Catestraat 485\n1234 AB Zwolle",
        "ten Catestraat 485",
    ),
    ("Dutch farm", "Our office moved to Brugwachtershoeve 295 last year.", "Brugwachtershoeve 295"),
    ("Dutch floor addition", "Our office moved to Nieuwstraatje 12-II last year.", "Nieuwstraatje 12-II"),
    ("Dutch bis", "Our office moved to Damstraat 12bis last year.", "Damstraat 12bis"),
    ("Dutch letter addition", "Ons kantoor zit op de Vismarkt 12 A in Utrecht.", "Vismarkt 12 A"),
    # Slovenská pošta: lower-case words after a preposition or an adjective, and a date as a name
    ("Slovak preposition", "Our office moved to Na barine 1386 last year.", "Na barine 1386"),
    (
        "Slovak preposition, two words",
        "S pozdravom\nEva Nová\nPri hradnej studni 1127\n811 04 Bratislava",
        "Pri hradnej studni 1127",
    ),
    ("Slovak adjective", "Unser Büro befindet sich jetzt in der Stará černicová 317.", "Stará černicová 317"),
    (
        "Slovak path",
        "Mit freundlichen Grüßen\nMayleen Künzler\nModrý chodník 116\n2226 Regensdorf",
        "Modrý chodník 116",
    ),
    ("Slovak date name", "Beňadik Kováčová\nUlica 8. mája 38\n3517 Opfikon", "Ulica 8. mája 38"),
    # Correos de México's colonia and código postal after a name without a type; its numbered sections
    (
        "Mexican, colonia",
        "Nuestra oficina está en Valle Dorado 200, Col. Centro, 06000 Ciudad de México.",
        "Valle Dorado 200",
    ),
    (
        "Spanish 'los'",
        "Saludos,\nMari Moya\nResidencial los Pirules 1292\n17077 Burgos",
        "Residencial los Pirules 1292",
    ),
    (
        "Mexican, C.P.",
        "Envíelo a Jardines del Sol 1383, C.P. 45050 Zapopan, Jal.",
        "Jardines del Sol 1383",
    ),
    (
        "Mexican section",
        "Saludos cordiales,\nAna Ruiz\nSolidaridad 1a Sección 172\n04767 Murcia",
        "Solidaridad 1a Sección 172",
    ),
    (
        "Brazilian CEP",
        "Atenciosamente,\nAna Lima\nVilla Jardín 249\n53910-388 Pedra Preta",
        "Villa Jardín 249",
    ),
    # Croatian names that capitalize only their first word, over a postcode and town
    (
        "Croatian lower-case name",
        "Please ship it to Albina Poljak, Rokov perivoj 1a/5, 46772 Tadasland.",
        "Rokov perivoj 1a/5",
    ),
    (
        "Croatian regnal name",
        "Srdačan pozdrav,\nIvo Barić\nPerivoj biskupa Stjepana II. 455\n10000 Zagreb",
        "Perivoj biskupa Stjepana II. 455",
    ),
]


@pytest.mark.parametrize(("style", "text", "value"), STREETS, ids=[s for s, _, _ in STREETS])
def test_street_addresses_of_each_style(redactor, style, text, value):
    assert found(redactor, text, value, "STREET_ADDRESS")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Best regards,\nAndrea Eggs\nBulevardi 740\n00100 Helsinki", "Bulevardi 740"),
        (
            "Met vriendelijke groet,\nAnna de Vries\nKarel Doormanplein 206\n1234 AB Zwolle",
            "Karel Doormanplein 206",
        ),
        ("Die Hauptstraße 5 ist zu.", "Hauptstraße 5"),
    ],
)
def test_a_street_span_keeps_to_its_line_and_leaves_an_article(redactor, text, value):
    """The name on the line above is the person's, an article before the street is prose."""
    spans = [text[s:e] for s, e, t, _ in redactor.find_batch([text], ["en"])[0] if t == "STREET_ADDRESS"]
    assert spans == [value]


# Prose and lists that hold a number, a capitalized word and a direction, a unit or block word, or a
# count over a number: none is an address.
STREET_DECOYS = [
    # debian-reference in French: path MTU discovery
    ("French type before an acronym", "Ce processus est la découverte du chemin MTU (PMTU) (RFC1191)."),
    ("section and direction", "See Section 5 North of the river for the details."),
    ("road and direction", "Highway 1 South is closed; take Route 66 East instead."),
    ("suite of tests", "Run Suite 2 of the tests before the release."),
    ("block and lot in prose", "The map shows Block 3 Lot boundaries in grey; we surveyed Block 3, Lot 4."),
    ("course unit", "Grade 5 Math Unit 3: fractions. We ran 12 Tests Unit 3 failed."),
    ("numbered heading", "It took 3 Hours # 2 in the list of 5 Tasks # 1."),
    ("type and width", "An Int 32 4 Bytes wide, and Version 2 APT 3 works."),
    ("rooms and tops", "We finished Escape Room 2 in 40 minutes; our Top 5 picks follow."),
    ("list of counts", "The kit has:\n4 USB Ports\n1200 Watts\n3 Speed Settings"),
    ("film over its year", "Films:\n12 Angry Men\n1957 Drama"),
    ("a flat ends a line", "Released on 5 March\n2019 Berlin"),
    (
        "a year after a month",
        "As of July 2025 The Top 10 Apps; by Jane Roe, Nov. 19, 2025 Carl Court via Getty",
    ),
    ("a copyright year", "Copyright © 2025 Paper Trails. All rights reserved."),
    ("thousands of a price", "Verdi $1,550,000 Incline Village $1,595,000 Spanish Springs"),
    ("a zero count", "Best Answers: 0 Trophy Points: 113\n0 Back To Top"),
    (
        "two counts of one noun",
        "Editor-in-Chief\n108 Published Articles\n3824 Edited Articles\nCountries Visited",
    ),
    # the street words of other languages that are English words, or abbreviations of English prose
    ("a letter after a count", "Top 10 I Love Road Trips; Chapter 3 A Long Road Ahead; 2 A4 Paper Packs."),
    ("English words as types", "Then put 3 eggs in the Instant Pot 6 Quart; the Golf tee 3 is cheap."),
    ("et al.", "H. Touvron et al. Llama 2: open foundation models, e.g. 5 sizes."),
    ("fractions and a dateline", "Mix 1/2 Cup Sugar with 3/4 Inch Bolts.\n12/05/2024 Hà Nội: the release"),
    ("a lane word without its number", "The Ngõ and Phố signs, Section 12 Khu Vực map."),
    ("Norwegian 'av' (of)", "Denne utgaven dekker versjon 11 av Debian, og lagene 3, 4 og 5 av OSI."),
    # the rules of the mimesis round: German common nouns and articles, prepositions in prose and titles,
    # Slavic surnames and place names, lower-case words of prose after a Slavic type, "via" as "by"
    ("German line and article", "In Zeile 4 kann das Zeichen weg. Die Straße 5 ist zu, den Weg 5 Minuten."),
    ("right angle", "Ein Rechter Winkel 90 Grad hat."),
    ("prepositions of prose", "Im Kapitel 5 steht es, wie im Kapitel 5; V Debianu 12 je to jinak."),
    ("'In' of an English title", "Version 2 of the In Memory Cache 3 is out."),
    ("Slavic surnames", "Vera Polyakova\n3 days ago\nReviewed by Monika Nemcova 17 minutes read"),
    ("place names", "Nebraska 5 and Alaska 3, Supernova 4, Casanova 2"),
    ("Slavic prose after a type", "Ulica je duga 500 metara."),
    ("'via' is 'by'", "Connect it via USB 3 port or via Ethernet 2 cables."),
    ("Brigade", "Brigade 2 kam an; Stargate 2 lief."),
    # the Finnish, Dutch and Slovak round: Dutch, French and Italian words that end in "tie" or "tori",
    # devices' buses, versions and years, Croatian "rad" (work), titles and lower-case prose after a name
    (
        "Dutch and French -tie",
        "Zie Positie 3 en Partitie 1, Garantie 2, Sortie 2, Distributie 12, Installatie 4, Frequentie 50.",
    ),
    ("Italian -tori", "I Settori 3 e gli Operatori 4, Motori 2, Autori 5."),
    ("Finnish bus and words alone", "USB-väylä 2 ja PCI-väylä 3 sekä Tie 5 ja Polku 3; Katu 4."),
    ("Finnish version and year", "Kehitysversio 2.1 julkaistiin vuonna 2024; Hämeenkatu 2024 oli suljettu."),
    ("Dutch market and year", "Die Arbeitsmarkt 4.0 und Marktplatz 2024; Vismarkt 2.3.1 is uit."),
    ("Croatian work", "Diplomski rad 2 je završen, a Završni rad 3 nije."),
    ("French titles", "Le Comité technique 3 a voté; la Société générale 2 aussi."),
    (
        "Czech prose",
        "Na obrázku 5 je vidět, že v Debianu 12 je na stránce 3 nový soubor. Otevřete Nový soubor 3 a pak.",
    ),
    ("Kubernetes Pod", "Edit the Pod template 3 times before the Pod spec 2 works."),
    # the colonia and the town line: a table's column, prose over a count, a short word in the name
    ("Spanish table column", "Vea la Tabla 3, Col. B y la Figura 2 Col. A; el Anexo 12 C.P. del contrato."),
    (
        "Croatian counts",
        "Rezultati:\nBroj korisnika 12\n2048 Korisnika ukupno\nTablica 3\nVerzija je 12\n10000 Zapisa",
    ),
]


@pytest.mark.parametrize(("kind", "text"), STREET_DECOYS, ids=[k for k, _ in STREET_DECOYS])
def test_street_decoys_are_no_addresses(redactor, kind, text):
    assert not [h for h in redactor.find_batch([text], ["en"])[0] if h[2] == "STREET_ADDRESS"]


# --------------------------------------------------------------------------- Faker in the tests' locales

faker = pytest.importorskip("faker", reason="faker is in the dev extra")


def faker_values(method: str, n: int = 25) -> list[tuple[str, str]]:
    """(locale, value) pairs: Faker's raw output, `n` per test locale, seeded."""
    values = []
    for i, locale in enumerate(TEST_LOCALES):
        fake = faker.Faker(locale)
        fake.seed_instance(1000 + i)
        values += [(locale, getattr(fake, method)().strip()) for _ in range(n)]
    return values


@pytest.mark.parametrize(
    ("method", "entity", "template"),
    [
        ("phone_number", "PHONE_NUMBER", "Telefon: {}"),
        ("street_address", "STREET_ADDRESS", "Address: {}\n"),
        ("iban", "IBAN_CODE", "Bank account: {}"),
        ("free_email", "EMAIL_ADDRESS", "Write to {} please."),
        ("credit_card_number", "CREDIT_CARD", "Paid with card {}."),
        ("ipv4_public", "IP_ADDRESS", "Blocked host: {}"),
    ],
)
def test_faker_values_of_the_test_locales(redactor, method, entity, template):
    # a street without a house number ("Avenida de Moraes") locates no one: not an address to redact
    values = [
        (loc, v) for loc, v in faker_values(method) if entity != "STREET_ADDRESS" or any(map(str.isdigit, v))
    ]
    missed = [(loc, v) for loc, v in values if not found(redactor, template.format(v), v, entity)]
    # street types that are everyday words of shop and technical prose are left out on purpose ("4 USB
    # Ports", "13 Fight Club"); Faker's en_US draws from all of USPS's, so a few of its streets are missed
    assert len(missed) <= 0.03 * len(values), missed


def test_random_groupings_of_faker_cards(redactor):
    fake = faker.Faker("en_US")
    fake.seed_instance(7)
    rng = random.Random(7)
    for kind in ("maestro", "visa13", "diners", "amex", "jcb15", "mastercard", "discover", "visa19"):
        number = fake.credit_card_number(kind)
        sizes, left = [], len(number)
        while left:
            sizes.append(min(rng.randint(3, 6), left))
            left -= sizes[-1]
        value = grouped(number, tuple(sizes), rng.choice(" -"))
        assert found(redactor, f"Card: {value}", value, "CREDIT_CARD"), (kind, value)
