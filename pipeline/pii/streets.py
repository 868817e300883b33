"""Street addresses in the styles the postal services publish: English-speaking and Indian (number, name,
street type), German, Dutch, Nordic and Finnish (compound name ending in a street word, or a place
adjective and the word apart, then the number), French, Spanish, Italian and Portuguese (street type
first), Central European and Balkan (the type after the name, a preposition or an adjective as the name),
Mexican (a colonia or C.P. after a name without a type), Malaysian, Indonesian and Vietnamese, US military
(PSC/Unit/ship with APO/FPO/DPO), and post-office boxes.

A street name alone identifies no one; with its house number it locates a home. So every pattern needs
the house number (or the flat), except the French "rue ..." that faker and real letters write without one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pipeline.pii.hits import Hit


def alternation(words: Iterable[str], word_start: bool = False) -> str:
    """A regex matching any of `words`, written as a trie: Python's engine tries the branches of a plain
    alternation one by one at every position, but walks a trie once (streets were 2/3 of the PII time).

    `word_start` requires that no word character or dot precedes the match (J.R.R. Tolkien is no "R."
    for Rua), checked after the first character so
    that the engine still jumps to the positions of the first characters.
    """
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict, guard: bool = False) -> str:
        branches = [
            re.escape(char) + (rf"(?<![\w.]{re.escape(char)})" if guard else "") + build(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?" if len(branches) == 1 and len(branches[0]) > 1 else f"{body}?"
        return body

    return "(?:" + build(tree, word_start) + ")"


# Capitals of Latin-1, Latin Extended-A, Azerbaijani's Ə and Vietnamese (Latin Extended Additional: Ấ, Ở)
_CAP = r"(?:[A-Z]|[À-ÖØ-Þ]|[ĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽƏ]|[\u1ea0-\u1ef8])"
# A capitalized word of two letters or more (O'Neill, Saint-Denis), or an abbreviation of up to three with
# its dot (St., Pte., J.J.; Portuguese titles keep their ordinal indicator: Eng.º, Dr.ª); no other dot, so
# "4 Pack. Keep Track" is two sentences, not a street.
_WORD = rf"(?:{_CAP}['’]?[^\W\d_]+(?:['’-][^\W\d_]+)*|(?:{_CAP}[^\W\d_]{{0,2}}\.[ºª]?)+)"
_SP = r"[ \t\u00a0]"

# USPS Publication 28 appendix C1 street suffixes and their abbreviations; Royal Mail, Australia Post and
# NZ Post thoroughfare types; India Post's common locality words (Marg, Nagar, ...).
_EN_TYPES = (
    "Alley Annex Approach Arcade Avenue Bayou Beach Bend Bluff Bottom Boulevard Brae Branch Bridge "
    "Broadway Brook Burg Bypass Camp Canyon Cape Causeway Center Centre Chase Circle Circuit Circus "
    "Cliff Close Common Concourse Corner Course Court Cove Creek Crescent Crest Croft Crossing "
    "Crossroad Curve Dale Dam Dene Divide Drive Drove Estate Esplanade Expressway Extension Ferry "
    "Field Flat Ford Forest Forge Fork Fort Freeway Garden Garth Gate Gateway Glade Glen Grange "
    "Green Grove Harbor Harbour Haven Height Highway Hill Hollow Inlet Island Isle Junction "
    "Knoll Lake Landing Lane Lodge Loop Mall Manor Meadow Mews Mill Motorway "
    "Mountain Neck Nook Orchard Oval Overpass Paddock Parade Park Parkway Passage Path Pike "
    "Pine Place Plain Plaza Point Prairie Promenade Quay Radial Ramp Ranch Rapid Reserve Rest "
    "Retreat Ridge Rise River Road Route Row Rue Run Shoal Shore Skyway Spur Square "
    "Strand Stravenue Stream Street Terrace Throughway Trace Track Trafficway Trail Tunnel "
    "Turnpike Underpass Vale Valley Viaduct View Village Ville Vista Walk Wall Way Well Wharf Wynd Yard "
    "Falls Mission Summit Woods "
    # India Post's locality words
    "Marg Nagar Colony Chowk Gali Sector Layout Enclave Vihar Puram Bagh Ganj Bazar Bazaar Cross Main Peth "
    "Wadi Pada Halli Palya Mohalla Society Zila "
    # AS/NZS 4819 road types (Australia Post, NZ Post). Left out of both lists: the everyday words of
    # technical and shop prose (End, Line, Link, Part, Edge, Upper, Lower, Range, Block, Steps, Light,
    # Quadrant, Pocket, Rotary, Strip, Ground, Sound, Port, Key, Lock, Station, Union, Spring, Fall, Club,
    # Mount, Pass: "4 USB Ports", "3 Private Key", "1 Early Spring", "13 Fight Club", "5 Car Pass")
    "Access Alleyway Amble Anchorage Artery Basin Boardwalk Brace Brow Byway Centreway Circlet Colonnade "
    "Copse Courtyard Crossway Cruiseway Cutting Dell Deviation Distributor Driveway Entrance Fairway "
    "Firetrail Footway Foreshore Formation Frontage Gully Highroad Interchange Intersection Laneway Lees "
    "Lookout Meander Outlook Parklands Pathway Piazza Plateau Quadrangle Quays Ramble Reach Ridgeway "
    "Riverway Riviera Roadside Roadway Ronde Round Siding Slope Mew Subway Tarn Thoroughfare Tollway Top "
    "Tor Towers Trailer Triangle Trunkway Villas Wade Walkway Front Follow Gap Ride Turn "
    # the Philippines: subdivisions and homes
    "Subdivision Homes "
    # South Africa's other languages (SAPO writes the number first): Zulu isitaladi (street), indlela
    # (road), umgwaqo (road), indawo (place), ithafa (avenue); Afrikaans straat, laan, rylaan
    "Isitaladi Indlela Umgwaqo Indawo Ithafa Straat Laan Rylaan"
).split()
_EN_TYPE = alternation(_EN_TYPES)
_EN_ABBREVIATIONS = (
    "Ave Av Blvd Cir Cres Ct Dr Expy Fwy Gr Hwy Ln Pde Pkwy Pl Rd Sq St Ste Tce Ter Tpke Trl Xing".split()
)
_BREAK = rf"(?:{_SP}+|{_SP}*\n{_SP}*)"  # between two parts of an address: spaces, or one line break
# Flats, suites, floors and doors after the street, one or two of them (Edif. 879, Depto. 139).
_UNIT_WORDS = (
    "Apt Apartment Suite Ste Unit Flat Floor Room Bldg Building Appartamento Piano Interno Int Scala Piso "
    "Puerta Escalera Depto Dpto Departamento Apto Apartamento Edif Edificio Interior Local Oficina Of "
    "Casa Lote "
    "Manzana Mz Lt Bloco Sala Andar Étage étage app appt bureau porte bus Bus Stiege Tür Top "
    # USPS Publication 28 appendix C2 writes the secondary unit designators in capitals
    "APT STE SUITE UNIT BLDG FL RM"
).split()
_UNIT_WORD = alternation(_UNIT_WORDS)
_UNIT_VALUE = r"(?:\d[\w-]{0,5}|[A-Za-z]\d{0,4}\b)"  # 508, 3B, B, C103: "approaches" is no flat
# a flat, suite or floor after the street: Suite 508, # 1100, STE F, 2nd Floor (USPS writes "FL 2")
_UNIT = (
    rf"(?:{_SP}*,?{_SP}+(?:(?:{_UNIT_WORD}(?:\.|\b)|#){_SP}*{_UNIT_VALUE}|\d{{1,2}}(?:st|nd|rd|th){_SP}+Floor\b))"
    "{0,2}"
)
# USPS and Royal Mail let the flat or suite stand on the line below the street (21 Jump Street\nSuite 28A)
_UNIT_LINE = rf"(?:{_SP}*\n{_SP}*(?:{_UNIT_WORD}\.?|#){_SP}*{_UNIT_VALUE}(?!\w))?"
# USPS's post-directionals: 287 Park Avenue South, 12 Main St NW
_POST_DIRECTION = rf"(?:{_SP}+(?:North|South|East|West|NE|NW|SE|SW|N|S|E|W)\b(?!['’-]))?"
_NAME_WORD = rf"(?!{_UNIT_WORD}(?:\.|{_SP}*\d)){_WORD}"  # a word of a street's name, not "Suite 5" after it
# A unit, lot or block before the house number: Unit 5, 12 Smith St (Australia Post); Blk 5 Lot 6 (the
# Philippines); India Post's house, flat, plot and door numbers (H.No. 12-3-45, #12, Flat No. 3B).
_BUILDING_WORDS = (
    "Building Bldg Tower Towers Suites Plaza Center Centre House Court Residences Apartment Apartments "
    "Condominium Condominiums Mansion Mansions Hall Place"
).split()
_BUILDING = f"(?:{'|'.join(_BUILDING_WORDS)})"
# Block and lot, the house number of the Philippines' subdivisions: "B14 L09 Rose Street", "Blk 5 Lot 6"
_BLOCK_LOT = rf"(?:B|Blk\.?{_SP}*)\d{{1,3}},?{_SP}+(?:L|Lot\.?{_SP}*)\d{{1,3}}\b"
_LEAD_UNIT_WORDS = (
    "Unit Apt Apartment Suite Level Lot Shop Flat Villa Blk Block Bldg Building Floor Room Studio".split()
)
_EN_LEAD_UNIT = (
    rf"(?:(?:{'|'.join(_LEAD_UNIT_WORDS)})\.?"
    rf"{_SP}*\d{{1,5}}[A-Za-z]?{_SP}*[,/]?{_BREAK}?"
    rf"|{_BLOCK_LOT}{_SP}+"
    # 7th Floor Larsen Building, / 7F Cucumber Suites, / Mcgee Building, (a building before the street)
    rf"|(?:\d{{1,2}}(?:F|st|nd|rd|th){_SP}*(?:Floor{_SP}+)?)?(?:(?:{_WORD}{_SP}+){{0,3}}{_BUILDING}\.?"
    rf"(?:{_SP}+\d{{1,3}})?{_SP}*){{1,2}},?{_BREAK})"
)
# "#12, MG Road" (India); "#1 A Court of Thorns" is a ranking
# Bangladesh Post writes "Holding No." (the municipal holding) and "Building No." as India Post writes "H.No."
_HOUSE_NUMBER_WORDS = (
    rf"(?:H\.?{_SP}?No|House{_SP}+No|Flat{_SP}+No|Plot{_SP}+No|Door{_SP}+No|Holding{_SP}+No|Building{_SP}+No)"
)
_EN_LEAD_NUMBER = (
    rf"(?:(?:{_HOUSE_NUMBER_WORDS}|No|Lot)\.?{_SP}*"
    rf"|#{_SP}?(?=\d+,))"
)
_EN_LEAD = re.compile(rf"(?:{_EN_LEAD_UNIT}{{1,2}}{_EN_LEAD_NUMBER}?|{_EN_LEAD_NUMBER})$")
# What every lead above holds: a unit or building word, a block ("B14"), "No" (every house-number word ends
# so) or "#". One scan for these before _EN_LEAD tries each position of the window, which most fail.
_LEAD_WORDS = re.compile("|".join((*_LEAD_UNIT_WORDS, *_BUILDING_WORDS, r"B\d", "No", "#")))
_ORDINAL = r"\d{1,3}(?:st|nd|rd|th)"  # 350 5th Avenue
# USPS Publication 28's last line, CITY ST ZIP (the states, territories and military codes of its
# appendix B): "Detroit, MI 48226" after a street says that the capitalized words before it are a town.
_US_STATES = (
    "AL AK AS AZ AR CA CO CT DE DC FM FL GA GU HI ID IL IN IA KS KY LA ME MH MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND MP OH OK OR PW PA PR RI SC SD TN TX UT VT VI VA WA WV WI WY AA AE AP"
).split()
_US_LAST_LINE = (
    rf"(?:{_WORD}{_SP}+){{0,2}}{_WORD},?{_SP}+{alternation(_US_STATES)},?{_SP}+\d{{5}}(?:-\d{{4}})?\b"
)
# At least one word names the street: "2 Follow" or "1 Front" alone is prose.
# What may follow a street type: a direction, a flat, a comma, a line end, lower case, a US last line.
# Another capitalized word makes it a title ("2 Week California Road Trip", "3D Wave Acoustic Wall Panel").
_AFTER_TYPE = (
    rf"(?!-\w|{_SP}*&|{_SP}+(?!(?:North|South|East|West|N|S|E|W|NE|NW|SE|SW|Extension|Ext|Phase)\b"
    rf"|{_UNIT_WORD}\b|{_US_LAST_LINE})[A-Z][a-z])"  # nor a hyphen ("5 Best Road-Running Shoes") or "&"
)
_EN_STREET = (
    rf"(?:(?:{_NAME_WORD}|{_ORDINAL}|[NSEW]\b|[NS][EW]\b){_SP}+){{1,4}}(?:{_EN_TYPE}s?\b|{alternation(_EN_ABBREVIATIONS)}\b\.?)"
    rf"{_AFTER_TYPE}"
)
# The house number's letter written apart (FGDC-STD-016-2011's Address Number Suffix: "123 A Main Street"),
# or a partition of the house ("1234 Unit B Rizal Street": the Philippines' duplexes).
_NUMBER_SUFFIX = rf"(?:{_SP}+(?:Unit{_SP}+)?[A-Z](?={_SP}+{_CAP}))?"
# 1600 Amphitheatre Parkway / 838 Washington Knolls Suite 508 / 12/4 Gandhi Nagar / 2822-A Uranus Street
_EN_NUMBER_FIRST = re.compile(
    rf"{_EN_LEAD_UNIT}{{0,2}}{_EN_LEAD_NUMBER}?"
    rf"(?:\d{{1,6}}[A-Za-z]?(?:[/-](?:\d{{1,5}}[A-Za-z]?|[A-Za-z]\b))*{_NUMBER_SUFFIX}|{_BLOCK_LOT}),?{_BREAK}"
    rf"{_EN_STREET}"
    rf"{_POST_DIRECTION}{_UNIT}{_UNIT_LINE}"
    rf"(?:,?{_BREAK}RD{_SP}+\d{{1,3}}\b)?"  # NZ Post rural delivery: 26 Shaw-Baker Track RD 10
    # Yakal Estates, Palanan Avenue / 15th Avenue, Pluto Estates Phase 4 / Canopus Homes 6, 2nd Drive: a
    # street and its estate (or phase) in the Philippines
    rf"(?:{_SP}+(?:Phase{_SP}+)?\d{{1,2}}\b)?(?:,{_SP}+{_EN_STREET}(?:{_SP}+(?:Phase{_SP}+)?\d{{1,4}}\b)?)?"
)
# H.No. 894, Mittal: India Post's house-number words mark an address even before a street without a type
_EN_HOUSE_NAMED = re.compile(
    rf"(?:{_EN_LEAD_UNIT}{{1,2}}(?:{_HOUSE_NUMBER_WORDS}|No)|{_HOUSE_NUMBER_WORDS})\.?{_SP}*\d{{1,6}}[A-Za-z]?"
    rf"(?:[/-]\d{{1,5}}[A-Za-z]?)*,?{_BREAK}{_NAME_WORD}(?:{_SP}+{_NAME_WORD}){{0,3}}"
)
# Studio 12\nO'Neill Isle: the flat on its own line above the street (Royal Mail)
_EN_FLAT_FIRST = re.compile(
    rf"(?:Flat|Studio|Apartment|Unit){_SP}+\d{{1,4}}[A-Za-z]?,?{_BREAK}(?:\d{{1,5}}{_SP}+)?"
    rf"(?:{_WORD}{_SP}+){{0,3}}{_EN_TYPE}s?\b{_AFTER_TYPE}"
)

# German, Austrian, Swiss and Dutch street words that end a compound name: Hauptstraße 12, Ameliahof 3.
# Left out: words that end common nouns of technical prose (String, Generator, Passwort, Eingabefeld).
_GERMANIC = (
    "straße strasse str. gasse gässli weg allee platz ring damm ufer steig stieg pfad chaussee zeile kai "
    "promenade graben anger winkel bogen höhe siedlung steg straat laan plein gracht kade hof pad steeg "
    "baan dijk singel dreef plantsoen kanaal wal lei steenweg hoven erf vaart boulevard "
    # Swedish, Danish and Norwegian (PostNord, Posten: the name, then the number: Bruksgatan 12,
    # Vigerslevvej 5, Sørligata 3). Left out: "gate", "led", "plan" and "stig" (English words, "Stargate 2")
    "gatan gata gaten väg vägen gränd stigen backe backen torg torget vej vejen gade gaden stræde plads "
    "torv vænge allé vei veien veg vegen "
    # Finnish (Posti: Hämeenkatu 12 A 5, Siilitie 3, Kissankuja 7); "tie" and "tori" only with a
    # Finnish-looking first part (see _FINNISH_ONLY), "esplanadi" and "bulevardi" alone too (Bulevardi 5)
    "katu tie kuja polku väylä kaari rinne tori aukio ranta puistikko puisto raitti esplanadi bulevardi "
    # more of PostNL's: the farm, the market and the diminutive (Brugwachtershoeve 2, Vismarkt 5,
    # Nieuwstraatje 3)
    "hoeve markt straatje"
).split()
_GERMANIC_SUFFIXES = tuple(_GERMANIC)
_GERMANIC_TAIL = re.compile(
    rf"(?i:{alternation(_GERMANIC)}){_BREAK}"
    # the house number and its additions: PostNL's 12bis, 12-II, 12-3, 12 A; Posti's staircase and flat
    # (12 A 5, 12 as. 5); Austria's Stiege and Tür
    rf"(?P<no>\d{{1,5}}(?!\d)(?:(?:bis|ter)(?!\w)|[a-zA-Z](?!\w)|{_SP}[A-Z](?!\w)(?:{_SP}\d{{1,3}}(?![\w.,]\d))?)?"
    rf"(?:{_SP}?[/-]{_SP}?(?:\d{{1,5}}[a-z]?|[IVX]{{1,4}}(?!\w)))*"
    rf"(?:{_SP}+(?:bus|Bus|Stiege|Top|Tür|as\.){_SP}*\d{{1,4}})?)(?![\w.,]\d|{_SP}?(?:[KMGT]i?B|%|px|ms|Bytes?)\b)"
    # a capitalized word right after the number: a count in a title ("Exploring 12 Million Images")
    rf"(?!\s+[A-Z][a-z])"
)
# Words that open a German or Dutch street name before the compound: Alte Landstraße, Van Baerlestraat.
_GERMANIC_OPENERS = (
    "Alte Alter Altes Neue Neuer Neues Große Großer Grosse Kleine Kleiner Obere Oberer Untere Unterer Hohe "
    "Hoher Lange Langer Breite Breiter Sankt St. Bad Van Von De Den Het Sint Oude Nieuwe Korte Lange Hoge"
).split()
_GERMANIC_HEAD = re.compile(rf"(?:{alternation(_GERMANIC_OPENERS)}{_SP}+)?{_CAP}[\w'’.-]*$")
# The street word standing alone after the name, as German orthography writes it after an adjective of a
# place in -er (Berliner Straße 12, Löwenbrucher Weg 5) and the Nordic languages after a genitive in -s
# (Fritz Hansens Vej 3, Kongens Gade 2). Only the words that are no English ones (not Ring, Pad, Hof) nor
# common nouns of prose (Zeile, Winkel, Höhe: "In Zeile 4", "Rechter Winkel 90").
_GERMANIC_ALONE = frozenset(
    "Straße Strasse Str. Gasse Weg Allee Platz Damm Steig Stieg Pfad Chaussee Kai Gracht Kade Singel Dreef "
    "Steenweg Gata Gatan Väg Gränd Vej Gade Stræde Plads Torv Allé Vei Veg".split()
)
_GERMANIC_WORDS_HEAD = re.compile(rf"(?:{_CAP}[\w'’.-]*{_SP}+){{0,2}}{_CAP}[\w'’.-]*(?:er|s){_SP}+$")
_ARTICLES = frozenset(
    "Der Die Das Den Dem Des Ein Eine Einen Einem Einer Jeder Jede Jedes Dieser Diese Dieses Kein Keine "
    "De Het Een The A An This That Every Each No Den Det En Ett".split()
)
_TECHNICAL_COMPOUNDS = ("tring", "keyring", "brigade", "renegade")  # String 3, Keyring 2, Brigade 2
# Finnish "tie" (road) and "tori" (square) end Dutch, French and Italian words too (Positie 3, Partitie 1,
# Garantie 2, Sortie 2, Operatori 4): the first part must look Finnish, by a letter (ä, ö, y), a long
# vowel, "ie" or a double k or p that those words lack (Siilitie, Hämeentie, Kauppatori, Hakaniementori),
# or be a genitive in -in (Mannerheimintie).
_FINNISH_PART = r"[äöy]|aa|ee|ii|oo|uu|ie|kk|pp"
_FINNISH_ONLY = {"tie": re.compile(rf"{_FINNISH_PART}|in$"), "tori": re.compile(_FINNISH_PART)}
_FINNISH_ALONE = ("esplanadi", "bulevardi")  # Helsinki's, Vaasa's: streets named by the type alone
_WORD_START = re.compile(r"(?<![\w.-])[EB]")  # Bulevardi 5 as a whole word
# PostNL's streets named after a person or a place, the first name or title before the compound (Karel
# Doormanplein 2, Groen van Prinstererlaan 5, Monseigneur Zwijsenstraat 8, ten Catestraat 3), on one line
_NAMES_BEFORE = re.compile(
    rf"(?:(?:ten|ter|'t){_SP}+)?(?:{_CAP}[^\W\d_]*(?:['’-][^\W\d_]+)*{_SP}+"
    rf"(?:(?:van|der|den|de|het|ten|ter|te|la|da){_SP}+){{0,2}}){{0,2}}$"
)
_ABBREVIATION_BEFORE = re.compile(r"[A-Z\d]{2,}-$")  # USB-väylä 2, PCI-Bus 3: a device's bus, no street

# French, Spanish, Italian and Portuguese: the street type comes first (La Poste, Correos, Correos de
# México, Poste Italiane, CTT, Correios), the number after the name, often after a comma; "S/N" when the
# house has none. French writes the type in lower case.
_ROMANCE_TYPES = (
    "Rue Avenue Av Boulevard Bd Bld Blv Chemin Allée Impasse Place Quai Route Cours Passage Square Voie "
    "Sentier "
    "Calle C/ Avenida Avda Paseo Pasaje Psje Pasadizo Vial Plaza Camino Carretera Ronda Travesía "
    "Glorieta Callejón Privada "
    "Cerrada Circuito Prolongación Continuación Retorno Andador Periférico Calzada Eje Circunvalación "
    "Corredor Viaducto Peatonal Ampliación Diagonal Diag Transversal Carrera Cañada Cuesta Rambla "
    "Urbanización "
    "Via Viale Piazza Piazzale Corso Largo Vicolo Contrada Borgo Strada Stretto Rotonda Lungomare Salita "
    "Canale Incrocio Rua R Travessa Trav Alameda Estrada Praça Praceta Beco Rotunda Rodovia Ladeira "
    "Esplanada Pátio Viaduto Vereda Colônia Fazenda Chácara Sítio Quadra Setor Conjunto Residencial "
    "Loteamento "
    "Vila Jardim Parque Núcleo Trecho Recanto Morro Lagoa Passarela Feira Estação Condomínio Campo Área "
    "Aeroporto "
    # the type first elsewhere too: Romanian (Poșta Română), Albanian, Polish, Croatian and Slovene
    # capitalized, Indonesian (Pos Indonesia: Jalan, Gang and their "Jl.", "Gg.", then "No." and the
    # number), Malaysian
    "Strada Bulevardul Calea Aleea Piața Piata Șoseaua Soseaua Splaiul Intrarea Rruga Bulevardi Sheshi "
    "Aleja Ulica Trg Cesta Avenija Jalan Gang Lorong Persiaran Lebuh "
    # Galician and Catalan, which Correos writes as the street signs do (Rúa do Vilar, 12; Carrer de
    # Balmes, 5)
    "Rúa Camiño Praza Rolda Avinguda Carrer Passeig Plaça Camí Travessera Baixada Pujada"
).split()
# Running text writes the type in lower case (the RAE's "la calle de Alcalá, 42", Italian "in viale Monza
# 5", Portuguese "na rua das Flores, 100"). Left out: the words that are something else too ("via": by,
# "largo": long, "camino", "corso", "campo").
_ROMANCE_LOWER = (
    "calle avenida paseo plaza carretera viale piazza piazzale vicolo rua rúa travessa praça".split()
)
# abbreviated types, only with their dot: "Str." (Romanian), "ul." and "al." (Polish, Poczta Polska's
# ulica and aleja; "al." not after "et": "et al. Llama 2"), "Jl." and "Gg." (Indonesian), "Jln." and
# "Lrg." (Malaysian)
_DOTTED_TYPES = "Str ul Ul Jl Gg Jln Lrg".split()
_FRENCH_TYPES = (
    "rue avenue boulevard boul bd chemin allée impasse place quai route cours passage square voie "
    "rang montée "
    "côte croissant promenade terrasse carré ruelle sentier autoroute "
    # more of La Poste's types de voie (FANTOIR), "prom" with its dot
    "cour venelle prom parc esplanade faubourg hameau lotissement résidence clos cité chaussée traverse "
    "grand rue grande rue grand-rue grande-rue rond-point"
)
# the type is a whole word, or an abbreviation with its dot: "Av." is Avenida, "Av" alone starts "Avatar"
_STREET_TYPE = (
    rf"(?:{alternation(_ROMANCE_TYPES + _ROMANCE_LOWER, word_start=True)}(?:\.|(?!\w))"
    rf"|{alternation(_DOTTED_TYPES, word_start=True)}\.|[Aa](?<![\w.][Aa])(?<!et{_SP}a)l\.)"
)
_ROMANCE_TYPE = re.compile(rf"{_STREET_TYPE}|(?:Cl|Cr|Kr|Tv|Tr|Dg|Ak|Ac)\.")
_PARTICLES = (
    r"(?:de|del|de la|de las|de los|de l'|des|du|da|das|do|dos|di|della|delle|dei|degli|e|y|la|le|el|ao|aos"
    # vial: Mexico City's "Eje vial"; Slovene "Cesta na Kope", "Trg pod ..."
    r"|los|las|à|vial|na|pod|ob|pri|za)"
)
# Initials without their last dot and ranks of four letters, as Pos Indonesia's street names write them
# after the type (Jl. M.T Haryono No. 16, Gg. Jend. A. Yani No. 8, Jl. Moch. Ramdan)
_INITIALS = rf"(?:(?:{_CAP}\.)+{_CAP}(?![\w.])|{_CAP}[a-z]{{3}}\.(?={_SP}+{_CAP}))"
# Avenida de Manuel d'Arriaga; the regnal numbers of kings and popes (Calle de Pedro I, ul. Jana Pawła II)
_NAME = rf"(?:{_NAME_WORD}|d['’]{_WORD}|\d{{1,2}}|{_PARTICLES}|[IVX]{{1,4}}(?!\w)|{_INITIALS})"
_HOUSE_NUMBER = (
    rf"(?:(?:[Nn][º°o]\.?{_SP}*|#{_SP}*)?\d{{1,5}}(?!\d)(?:{_SP}?(?:bis|ter)\b|[A-Za-z]\b|{_SP}[A-Z]\b)?(?:[-/]\d{{1,5}})?"
    rf"(?:{_SP}\d{{1,5}})?(?![\w.,]\d)|[Ss]/[Nn]\b)"  # Mexico writes the inner number after the outer
)
_CARDINAL = r"(?:Sur|Norte|Este|Oeste)"
_COLOMBIAN_AXES = "[Cc]alle|Cl|[Cc]arrera|Cra|Cr|Kr|Transversal|Tv|Tr|Diagonal|Dg|Avenida|Av|Ak|Ac"
_ROMANCE = re.compile(
    # the grid first: its cardinal after the number is part of the address
    # Calle 45 # 12-34 / Cl. 23 # 5-5 Sur / Av. calle 129 # 6-64: Colombia's grid (nomenclatura urbana)
    rf"(?:(?:Avenida|Av\.?){_SP}+)?(?:{_COLOMBIAN_AXES})\.?{_SP}+"
    rf"(?:\d{{1,3}}[A-Zª]?|{_NAME_WORD}(?:{_SP}+{_NAME_WORD}){{0,2}})"  # Avenida La Unión # 49-5
    rf"(?:{_SP}?Bis)?(?:{_SP}?[A-Z]\b)?(?:{_SP}+{_CARDINAL})?{_SP}*(?:#|No\.?|N[º°]){_SP}*\d{{1,3}}[A-Z]?"
    rf"{_SP}?-{_SP}?\d{{1,3}}(?:{_SP}+{_CARDINAL})?"
    # Calle de Ana Pérez 45 / Via Roma, 12 Appartamento 3 / Rua das Flores, 100 / rue du Lac 12 / Largo X, S/N
    rf"|{_STREET_TYPE}{_SP}+(?:{_PARTICLES}{_SP}*){{0,2}}(?:{_NAME_WORD}|{_INITIALS})(?:{_SP}+{_NAME}){{0,5}}?{_SP}*,?{_BREAK}"
    rf"{_HOUSE_NUMBER}{_UNIT}"
    # Av. 2 N° 84 / Diagonal 117 B N° 489: a numbered street, then the house after N°
    rf"|{_STREET_TYPE}{_SP}+\d{{1,3}}(?:{_SP}?[A-Z]\b)?{_SP}+[Nn][º°o]\.?{_SP}*\d{{1,5}}\b{_UNIT}"
)
# 12, rue de la Paix / 8 avenue Victor Hugo / 1234, boul. Saint-Laurent: only French puts the number first
_FRENCH_NUMBER_FIRST = re.compile(
    # "av" only with its dot: Norwegian and Swedish "av" is "of" ("versjon 11 av Debian")
    rf"\d{{1,5}}(?:{_SP}?(?:bis|ter))?,?{_SP}+(?i:{alternation(_FRENCH_TYPES.split())}\.?|av\.){_SP}+"
    rf"(?:{_PARTICLES}{_SP}*)?{_NAME_WORD}(?:[ -]{_NAME}){{0,4}}{_UNIT}"
)
# rue de Salmon / boulevard Jeanne Delorme / rue du Lac 12 (Switzerland, Belgium: the number after); not
# an acronym ("la découverte du chemin MTU", debian-reference's path MTU discovery)
_FRENCH_NAMED = re.compile(
    rf"{alternation('rue avenue boulevard chemin allée impasse quai'.split(), word_start=True)}{_SP}+"
    rf"(?:{_PARTICLES}{_SP}*){{0,2}}(?![A-Z]{{2,6}}\b){_NAME_WORD}(?:[ -]{_NAME_WORD}){{0,3}}"
    rf"(?:,?{_SP}+\d{{1,5}}[A-Za-z]?(?![\w.,]\d){_UNIT})?"
)
# The type after the name, then the number: Slovene and Croatian (Vipavska ulica 30, Kongresni trg 5c),
# Czech and Slovak, Hungarian (Kossuth Lajos utca 12, Váci út 5), Latvian, Lithuanian and Estonian (Brīvības
# iela 21, Gedimino prospektas 9, Pärnu maantee 12), Turkish and Azerbaijani (Atatürk Caddesi No. 5, Nizami
# küçəsi 5): each country's post writes it so. Left out: the types that are English words (put, pot, sor,
# tee, gate) and one-letter abbreviations ("e.g. 5").
_TYPE_AFTER_WORDS = (
    "ulica ulice ulitsa cesta trg náměstí námestie nábřeží nábrežie třída trieda nabrežje obala šetalište "
    "prilaz odvojak avenija bulevar bulevard bulvár vijenac drevored steza iela bulvāris gatve laukums "
    "šoseja gatvė alėja aikštė plentas prospektas prospekts prospekt tänav maantee puiestee põik utca út "
    "útja tér körút sétány fasor rakpart köz sokak sokağı cadde caddesi bulvarı mahallesi yolu meydanı "
    "küçəsi prospekti döngəsi şossesi dalanı "
    # Slovak and Czech (Slovenská pošta, Česká pošta: Modrý chodník 5, Kapitulský dvor 2, Husovy sady 4);
    # not "rad" (row), which is Croatian "work" ("Diplomski rad 2")
    "chodník dvor okruh sady údolie údolí"
).split()
_TYPE_AFTER_DOTTED = "krt nám tř küç mnt pst cad sok mah blv bul".split()
_TYPE_AFTER_WORD = (
    rf"(?:{alternation(_TYPE_AFTER_WORDS + [w.capitalize() for w in _TYPE_AFTER_WORDS])}(?!\w)"
    rf"|{alternation(_TYPE_AFTER_DOTTED + [w.capitalize() for w in _TYPE_AFTER_DOTTED])}\.)"
)
# A word in lower case: Slovene, Croatian and Serbian capitalize only the first word of a street's name
# (Ulica prvoborcev 1, Trg bana Jelačića 3, Ulica grada Vukovara 5); a name with one is an address only
# where no lower-case word follows its number ("Ulica je duga 500 metara" is prose).
_LOWER_WORD = rf"(?!{_CAP})[^\W\d_]+"
# searched in the characters before a house number: "Vipavska ulica " (up to four words)
_TYPE_AFTER = re.compile(
    rf"{_NAME_WORD}(?:{_SP}+(?:{_NAME_WORD}|{_LOWER_WORD})){{0,3}}{_SP}+{_TYPE_AFTER_WORD}{_SP}+(?:No\.?{_SP}*)?$"
)
_SLAVIC_TYPES = "Ulica Cesta Trg Aleja Avenija".split()
_SLAVIC_FIRST = re.compile(  # Ulica 8. mája 38: a date names it
    rf"{alternation(_SLAVIC_TYPES)}{_SP}+(?:{_NAME_WORD}|{_LOWER_WORD}|\d{{1,2}}\.)"
    rf"(?:{_SP}+(?:{_NAME_WORD}|{_LOWER_WORD})){{0,3}}"
    rf"{_SP}+{_HOUSE_NUMBER}"
)
_LOWER_AFTER = re.compile(rf"{_SP}+{_LOWER_WORD}")
# the word before the number (or before its "No."), looked up before the pattern is tried
_TYPE_AFTER_LAST_WORDS = frozenset(
    [*_TYPE_AFTER_WORDS, *(w.capitalize() for w in _TYPE_AFTER_WORDS)]
    + [f"{w}." for w in _TYPE_AFTER_DOTTED + [w.capitalize() for w in _TYPE_AFTER_DOTTED]]
)
_TYPE_AFTER_HOUSE = re.compile(rf"\d{{1,5}}[A-Za-z]?(?:/\d{{1,4}}[A-Za-z]?)?(?![\w.,/]\d|\w){_UNIT}")
_TYPE_AFTER_REACH = 80  # characters of a name and its type before the number

# Malaysia (Pos Malaysia): the house number, a comma, then the type and the road's name or number, which
# may carry its section ("No. 8, Jalan Bijih Timah 4/5m", "T-30-63, Jalan 6", "66, Lorong 9/3M").
_MALAY_TYPES = "Jalan Jln. Jln Lorong Lrg. Lrg Persiaran Lebuh Lengkok Lintang".split()
_MALAY_TYPE = rf"{alternation(_MALAY_TYPES, word_start=True)}(?!\w)"
_MALAY_ROAD_NUMBER = r"\d{1,3}[A-Za-z]?(?:/\d{1,3}[A-Za-z]?)?(?![\w/])"
_MALAY_HOUSE_FIRST = re.compile(
    rf"(?<![\w-])(?:(?:No|Lot)\.?{_SP}*)?(?:[A-Za-z]{{1,2}}\d?-)?\d{{1,4}}[A-Za-z]?(?:-\d{{1,4}}[A-Za-z]?){{0,2}},{_SP}+"
    rf"{_MALAY_TYPE}{_SP}+(?:{_NAME_WORD}(?:{_SP}+{_NAME_WORD}){{0,3}}(?:{_SP}+{_MALAY_ROAD_NUMBER})?"
    rf"|{_MALAY_ROAD_NUMBER})"
)
_MALAY_TYPE_SCAN = re.compile(_MALAY_TYPE)
_MALAY_WORDS = ("Jalan", "Jln", "Lorong", "Lrg", "Persiaran", "Lebuh", "Lengkok", "Lintang")

# Vietnam (Vietnam Post): "Số" (number), the house number with its alley and lane numbers (6/98/341), the
# alley, lane, ward or hamlet ("Ngõ 91", "Hẻm 53", "Khu 18") and the street type ("Phố", "Đường") before a
# name or a number: "Số 25 Phố Bà Triệu", "593 Hẻm 53 Đường số 37", "38 phố 67".
_VN_PLACES = "Ngõ ngõ Ngách ngách Hẻm hẻm Kiệt kiệt Khu khu Khóm khóm Tổ tổ Ấp ấp Thôn thôn".split()
_VN_TYPES = ("Phố", "phố", "Đường", "đường", "Đại lộ", "Ngõ", "ngõ", "Hẻm", "hẻm")
_VN_NAME = (
    rf"(?:\d{{1,3}}(?:{_SP}+Tháng{_SP}+\d{{1,2}})?(?!\w)|{_NAME_WORD}(?:{_SP}+{_NAME}){{0,3}}(?<![\s\d]))"
)
_VIETNAMESE = re.compile(
    rf"(?:Số{_SP}+)?\d{{1,5}}[A-Za-z]?(?:/\d{{1,5}}){{0,3}}{_SP}+"
    rf"(?:(?:{alternation(_VN_PLACES)}{_SP}+\d{{1,4}}{_SP}+)+(?:{alternation(_VN_TYPES)}(?:{_SP}+số)?{_SP}+)?"
    rf"|{alternation(_VN_TYPES)}(?:{_SP}+số)?{_SP}+){_VN_NAME}"
)
# Without a type, Vietnamese writes the alley numbers of the house (56/707) or "Số" before a name whose
# letters only Vietnamese has ("56/707 Phạm Ngũ Lão", "Số 5/20/654 Lê Duẩn")
_VN_TYPELESS = re.compile(
    rf"(?:Số{_SP}+\d{{1,5}}(?:/\d{{1,5}}){{0,3}}|\d{{1,5}}(?:/\d{{1,5}}){{1,3}}){_SP}+"
    rf"{_NAME_WORD}(?:{_SP}+{_NAME_WORD}){{1,3}}"
)
_VN_LETTER = re.compile("[\u1ea0-\u1ef9ăĩũơưđĂĨŨƠƯĐ]")
_SLASHED_DATE = re.compile(r"(?:Số\s+)?\d{1,2}/\d{1,2}/(?:1[89]|20)\d\d\b")  # 12/05/2024 Hà Nội: a dateline

# USPS Publication 28, section 237: PSC/CMR/Unit and Box numbers, or a ship, over APO/FPO/DPO AA/AE/AP.
_MILITARY = re.compile(
    rf"(?:PSC|CMR|Unit){_SP}+\d{{1,5}},?{_SP}+Box{_SP}+\d{{1,5}}(?:{_SP}*,?{_BREAK}?(?:APO|FPO|DPO){_SP}+"
    rf"(?:AA|AE|AP){_SP}+\d{{5}}(?:-\d{{4}})?)?"
    rf"|(?:USS|USNS|USNV|USCGC){_SP}+{_WORD}(?:{_SP}+{_WORD}){{0,2}}{_SP}*,?{_BREAK}?(?:APO|FPO|DPO){_SP}+"
    rf"(?:AA|AE|AP){_SP}+\d{{5}}(?:-\d{{4}})?"
)
# A street named without its type ("Los Pinos 26", "Lautaro 79") is an address when the postcode and town
# follow on the same line after a comma or on the next line, as every postal format writes them.
_POSTCODE = (
    rf"(?:[A-Z]{{1,2}}-)?(?:\d{{4,7}}|\d{{3}}[ -]\d{{2}})"  # numeric (H-8815, 058 98; 358 is a count)
    rf"|[A-Z]\d[A-Z]{_SP}?\d[A-Z]\d"  # Canada
    rf"|[A-Z]{{1,2}}\d[A-Z\d]?{_SP}?\d[A-Z]{{2}}"  # United Kingdom
    r"|\d{5}-\d{3}"  # Brazil's CEP (Correios: 53910-388)
)
# Address labels (and the Japanese and Chinese "send to" labels): what follows them is an address.
_LABEL_WORDS = (
    "address adresse anschrift dirección direccion domicilio indirizzo endereço morada adres".split()
)
_ADDRESS_LABEL = (  # a trie of the words as written (lower case, capitalized): case folding is 10x slower
    rf"(?:{alternation(_LABEL_WORDS + [w.capitalize() for w in _LABEL_WORDS])}\s?:|"
    r"住所|送付先|宛先|地址|邮寄地址|收件地址)[ \t\u00a0:：]*$"
)
_ADDRESS_LABEL_BEFORE = re.compile(_ADDRESS_LABEL)
# Spanish and Portuguese names keep their particles (Lomas del Cobano 885); German, Czech, Slovak and
# Slovene ones often open with a preposition (Am Roten Stein 2, In der Krim 5, U Lednice 6, Pod Hřištěm 5),
# which Slovene follows with a lower-case word (Na cvetači 1a, Pod zidom 7)
_PREPOSITIONS = (
    "Am An Auf Im In Zum Zur Hinter Unter Vor Bei K Ke V Ve U Na Nad Pod Za Před Pred Pri Při Ob Med"
).split()
_PREPOSITION = rf"{alternation(_PREPOSITIONS)}(?:{_SP}+(?:der|den|dem))?"
# Mexico numbers the sections of a colonia (Solidaridad 1a Sección 172, Correos de México)
_TYPELESS_NAME = re.compile(
    rf"(?:(?:Los|Las|La|El|Lord|Don|Doña|San|Santa|Av\.|Avda\.|{_PREPOSITION}){_SP}+)?"
    rf"{_NAME_WORD}(?:{_SP}+(?:{_PARTICLES}{_SP}+)?{_NAME_WORD}){{0,3}}(?:{_SP}+\d{{1,2}}[aª]{_SP}+Sección)?{_SP}+$"
    rf"|{_PREPOSITION}{_SP}+{_LOWER_WORD}{_SP}+$"
)
# Croatian and Slovene capitalize only a name's first word (Rokov perivoj 1a, Zeleni dol 1c, Perivoj
# biskupa Stjepana II. 5): such a name without a type only on its own line (or after ", ") over a postcode
# and a town that ends its line (not "Broj korisnika 12\n2048 Korisnika ukupno"), its lower-case words of
# three letters or more (not "Verzija je 12")
_TYPELESS_LOWER_NAME = re.compile(
    rf"{_NAME_WORD}(?:{_SP}+(?![^\W\d_]{{1,2}}\b){_LOWER_WORD}){{1,2}}(?:{_SP}+{_NAME_WORD}){{0,2}}"
    rf"(?:{_SP}+[IVX]{{1,4}}\.)?{_SP}+$"
)
# Czech and Slovak write the house's two numbers with a slash (Na Letné 1276/12: conscription and street
# number), Croatian a flat after it
_HOUSE_NO = r"(?!\d{1,2}/\d{1,2}(?![\w/]))\d{1,5}[A-Za-z]?(?!\d)(?:/\d{1,4}[A-Za-z]?(?![\d/]))?"  # not 12/05
_HOUSE_END = re.compile(rf"{_HOUSE_NO}{_UNIT}")
_TYPELESS_OVER_POSTCODE = re.compile(
    rf"{_HOUSE_NO}{_UNIT}(?=(?:,{_SP}+|{_SP}*\n{_SP}*)(?:{_POSTCODE}){_SP}+{_CAP})"
)
_TOWN_LINE = re.compile(
    rf"{_HOUSE_NO}{_UNIT}(?:,{_SP}+|{_SP}*\n{_SP}*)(?!(?:19|20)\d\d\b)(?:{_POSTCODE})"
    rf"(?:{_SP}+{_CAP}[^\W\d_]*){{1,3}}[ \t]*(?:[.,\n]|$)"
)
# Correos de México writes the colonia ("Col.") and the código postal ("C.P.") after the street: either
# marks a name without a type as a street, in running text too (Valle Dorado 200, Col. Centro)
_TYPELESS_BEFORE_COLONIA = re.compile(
    rf"{_HOUSE_NO}{_UNIT}(?=,?{_SP}+(?:Col\.|Colonia){_SP}+{_CAP}[^\W\d_]|,?{_SP}*C\.{_SP}?P\.{_SP}*\d{{5}}(?!\d))"
)
# Croatian, Serbian, Slovene, Czech and Slovak streets named by an adjective leave out "ulica" (Hrvatska
# pošta, Česká pošta write them so: Vlaška 70, Mirogojska 39, Bogovićeva 1, Jiráskova 12, Šamorínska 5):
# a capitalized word of six letters or more with such an adjective's ending: one that only these
# languages write (-ška, -čka, -ćka, -ská, -cká), or one after a consonant (so not Nebraska, Alaska; and
# not "-nova": Supernova, Casanova), then a house number.
_ADJECTIVE_STREET = re.compile(
    r"[A-ZČĆŠŽĐŘŤĎŇ][^\W\d_]{2,}(?:ška|čka|ćka|ške|čke|ćke|ská|cká"
    r"|[^\W\d_aeiouyáéíóúýěåäöAEIOUY](?:ska|cka|ova|eva|ove|eve|ske))"
)
_TYPELESS_WITH_UNIT = re.compile(
    rf"\d{{1,5}}[A-Za-z]?(?!\d)(?:{_SP}*,?{_SP}+(?:{_UNIT_WORD}(?:\.|\b)|#){_SP}*{_UNIT_VALUE}){{1,2}}"
)
# A street whose type is missing, misspelled or left out of the lists above ("636 Sarkar", "39449 allé
# Massé", "Apt. 173 84 Simmons Dip"): a number and a name prove nothing alone, so it is an address only
# beside what UPU S42's templates put around one: a postcode and town after it, an address label before
# it, or a flat or suite after it (see _Page._typeless_first).
_TYPELESS_FIRST = re.compile(
    rf"\d{{1,6}}[A-Za-z]?(?:/\d{{1,5}}[A-Za-z]?)*,?(?P<gap>{_BREAK})(?:[a-zà-ÿ]{{2,10}}{_SP}+)?"
    rf"{_NAME_WORD}(?:{_SP}+{_NAME_WORD}){{0,3}}(?P<unit>{_UNIT})"
)
# a year is no postcode here: "12 Angry Men\n1957 Drama"; a US last line is (300 Broadway,\nSan Francisco,
# CA 94133)
_POSTCODE_AFTER = re.compile(
    rf"(?:,{_SP}+|,?{_SP}*\n{_SP}*)(?:(?!(?:19|20)\d\d\b)(?:{_POSTCODE}){_SP}+{_CAP}|{_US_LAST_LINE})"
)
# an item of a list of counts ("4 USB Ports", "1200 Watts"), before or after the candidate
_NUMBERED_ITEM = re.compile(rf"[ \t\u00a0]*\d{{1,6}}[A-Za-z]?{_SP}+[^\W\d_]")
# The designators that name a dwelling or an office (USPS C2, Canada Post, Correos, Poste Italiane): a
# floor, room or building alone ("Escape Room 2", "Top 5") does not make a number and a name an address,
# nor do the designators that prose uses for other things ("Grade 5 Math Unit 3", "3 Hours # 2", "Int 32").
_DWELLING_WORDS = (
    "Apt Apartment Suite Ste Flat APT STE SUITE app appt bureau Appartamento Interno Depto Dpto "
    "Departamento Apto Apartamento Puerta Stiege Tür"
).split()
_DWELLING = alternation(_DWELLING_WORDS)
_DWELLING_AFTER = re.compile(rf"{_SP}*,?{_SP}+{_DWELLING}(?:\.|\b){_SP}*{_UNIT_VALUE}")
# Apt. 173 84 Simmons Dip: a flat before the house number on its line (Australia Post, Royal Mail); a flat
# that ends a line is the street's above it ("... Apt. 566\n9726 Pasquier-la-Ville" is a town)
_DWELLING_BEFORE = re.compile(rf"{_DWELLING}\.?{_SP}*{_UNIT_VALUE}{_SP}*[,/]?{_SP}+")
# Post-office boxes reach a person as surely as a street: PO Box (USPS, Australia Post's GPO Box, Locked
# Bag), Postfach, case/boîte postale, BP, apartado, casilla, caixa postal, casella postale, postbus.
_POSTAL_BOX = re.compile(
    rf"(?:P\.?{_SP}?O\.?{_SP}?Box|Post{_SP}+Office{_SP}+Box|GPO{_SP}+Box|Locked{_SP}+Bag|Private{_SP}+Bag|Postfach|"
    rf"[Cc]ase{_SP}+postale|[Bb]oîte{_SP}+postale|BP|Apartado(?:{_SP}+de{_SP}+[Cc]orreos)?|"
    rf"Casilla(?:{_SP}+de{_SP}+[Cc]orreos?)?|Caixa{_SP}+Postal|Casella{_SP}+[Pp]ostale|Postbus)\.?{_SP}*"
    rf"(?:n[º°o]\.?{_SP}*)?\d{{1,6}}(?:{_SP}\d{{2,4}}){{0,2}}(?!\w)"
)
_POSTAL_BOX_BEFORE = re.compile(
    rf"(?:Box|Bag|Postfach|postale|BP|Apartado|[Cc]orreos?|Casilla|Postal|Postbus)\.?{_SP}*(?:n[º°o]\.?{_SP}*)?$"
)
# Where a house number can be: every style but the French "rue ..." has one, so two scans find the few
# places worth the style patterns (a pass of each pattern over the page cost 3x more). Each scan starts
# with a digit, the narrowest class, so the engine tries it at few positions and looks behind only there
# (a class that every letter matches made them a third of the PII time; a space or a punctuation mark
# first, as before, cost 3x as much for the first scan, 1.6x for the second). Both give a number's start.
# A number after a space or punctuation, then a word ("742 Evergreen"); not after a letter (inside a token),
# ".", "/" or "-" (a version, a path), ":" (a time), a currency sign (a price) or "#" (a rank).
_NUMBER_FIRST_ANCHOR = re.compile(
    r"\d(?<=(?:[^\w./\-:$€£¥#]|[\u3040-\u9fff])\d)"
    r"(?=\d{0,5}[A-Za-z]?(?:[/-](?:\d{1,5}[A-Za-z]?|[A-Za-z]\b))*,?\s+(?:[^\W\d_]|\d{1,3}(?:st|nd|rd|th)))"
)
# A word (or "," "." "°" "#"), a space, a number: "Via Roma, 12", "Str. 5", "N° 84".
_NUMBER_LAST_ANCHOR = re.compile(r"\d(?<=[^\W\d_][ \t\u00a0]\d|[,.°º#][ \t\u00a0]\d)")
_COLON = re.compile("[:：]")
_BLOCK_LOT_START = re.compile(rf"B(?<![\w.]B)(?=(?:lk\.?{_SP}*)?\d{{1,3}},?{_SP}+(?:L|Lot\.?{_SP}*)\d)")
_ZERO = re.compile(r"0+(?!\w)")
_NO_NUMBER = re.compile(r"/(?<=[Ss]/)[Nn]\b")  # from the slash: a literal the engine jumps to (12x faster)
_NUMBER_THEN_WORD = re.compile(
    r"\d{1,6}[A-Za-z]?(?:[/-](?:\d{1,5}[A-Za-z]?|[A-Za-z]\b))*,?\s+(?:[^\W\d_]|\d{1,3}(?:st|nd|rd|th))"
)
_MILITARY_BEFORE = re.compile(rf"(?:PSC|CMR|Unit){_SP}+$|(?:APO|FPO|DPO){_SP}+(?:AA|AE|AP){_SP}+$")
_FLAT_BEFORE = re.compile(rf"(?:Flat|Studio|Apartment|Unit){_SP}+$")
# Product names followed by a version, then a year and a title, look like a typeless street over a postcode.
MONTH_NAMES = frozenset(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
_NOT_STREET_NAMES = MONTH_NAMES | frozenset(
    "Python Debian Ubuntu Linux Windows Java Perl Ruby PHP Emacs Vim Firefox Chrome Android iOS macOS "
    "GNOME KDE "
    "Version Release Chapter Section Table Figure Step Part Volume Page Appendix Kernel "
    "Spring Summer Autumn Fall Winter".split()
)
_ROMANCE_REACH = 90  # characters from a street type to its number
_SLAVIC_STARTS = tuple(_SLAVIC_TYPES)
_POSSESSIVES = ("ova", "eva", "ove", "eve")
_NAME_BEFORE = re.compile(rf"{_CAP}[^\W\d_]*[ \u00a0]$")
# the house after an adjective's name: not a size, a share or a count in a title ("Ruska 12 Million")
_ADJECTIVE_HOUSE = re.compile(
    rf"{_HOUSE_NO}(?![\w.,]\d|{_SP}?(?:[KMGT]i?B|%|px|ms|Bytes?|km|kg)\b|{_SP}+[A-Z][a-z])"
)
# in the middle of a sentence, "In", "An" and "Auf" only before their article: English titles capitalize
# "In" ("the In Memory Cache 3")
_PREPOSITIONAL = re.compile(
    rf"(?<![\w.])(?:(?:In|An|Auf){_SP}+(?:der|den|dem)"
    rf"|{alternation(p for p in _PREPOSITIONS if p not in ('In', 'An', 'Auf'))}(?:{_SP}+(?:der|den|dem))?)"
    rf"{_SP}+{_NAME_WORD}(?:{_SP}+{_NAME_WORD}){{0,2}}{_SP}+$"
)
# Slovak and Czech names in lower case after a preposition or an adjective, as Slovenská pošta writes them
# (Na barine 13, Pri hradnej studni 11, Stará černicová 3, Žabí majer 6): a preposition (English "Pod" only
# before a word with a letter English lacks: "the Pod template 3"), or an adjective's long ending (-ý, -á,
# -é, -í; not French "-té": "Comité technique 3"), then one or two lower-case words
_SLAVIC_LOWER = re.compile(
    rf"(?<![\w.])(?:(?P<preposition>(?:Na|Nad|Pri|Při|Za|Pred|Před){_SP}+{_LOWER_WORD}"
    rf"|Pod{_SP}+(?=[a-z]*[^\W\d_a-z]){_LOWER_WORD})(?:{_SP}+{_LOWER_WORD})?"
    rf"|{_CAP}[^\W\d_]{{2,}}[ýáéí](?<!t[ée]){_SP}+{_LOWER_WORD}){_SP}+$"
)
# after an adjective's name, no prose: "Nový soubor 3 a pak"
_SENTENCE_END = re.compile(r"[.,;)]|[ \t]*(?:\n|$)")
_LEAD_REACH = 64  # characters of flats, floors and buildings before a house number
_GERMANIC_REACH = 60  # characters of a compound street name


class StreetAddresses:
    """House-number-and-street spans in the styles above (see the module docstring)."""

    entities = ("STREET_ADDRESS",)

    def find(self, text: str) -> Iterator[Hit]:
        spans: set[tuple[int, int]] = set()
        # address labels and Romance street types are found once per page (most pages have none) and
        # looked up from each anchor
        labels = [
            c.end()
            for c in _COLON.finditer(text)
            if _ADDRESS_LABEL_BEFORE.search(text, max(0, c.start() - 16), c.end())
        ]
        # most numbers on a page are neither followed by a word nor preceded by one (tables, versions):
        # the two anchor patterns skip them in C
        last = [m.start() for m in _NUMBER_LAST_ANCHOR.finditer(text)]
        no_number = [m.start() - 1 for m in _NO_NUMBER.finditer(text)]  # S/N: "sin número", "sem número"
        page = _Page(
            text, _romance_types(text, last + no_number), labels, _VN_LETTER.search(text) is not None
        )
        anchors = {m.start() for m in _NUMBER_FIRST_ANCHOR.finditer(text)} | set(last)
        if text[:1].isdigit():
            anchors.add(0)
        for at in sorted(anchors):
            spans |= page.at(at)
        for at in no_number:
            spans |= page.number_last(at)
        for block in _BLOCK_LOT_START.finditer(text):  # no digit of "B14 L09" follows a space
            street = _EN_NUMBER_FIRST.match(text, block.start())
            if street:
                spans.add(street.span())
        if any(word in text for word in _MALAY_WORDS):
            for road in _MALAY_TYPE_SCAN.finditer(text):
                for street in _MALAY_HOUSE_FIRST.finditer(text, max(0, road.start() - 24), road.end() + 60):
                    if street.start() < road.start() < street.end():
                        spans.add(street.span())
        if any(word in text for word in _FRENCH_NAMED_WORDS):  # a substring test per word is far cheaper
            spans |= {m.span() for m in _FRENCH_NAMED.finditer(text)}
        merged: list[list[int]] = []
        for start, end in sorted(spans):  # two readings of one address: "693, chemin X", "chemin X, 98631"
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            yield Hit(start, end, "STREET_ADDRESS", 0.6)


_YEAR = re.compile(r"(?:1[89]|20)\d\d(?!\d)")
_YEAR_BEFORE = re.compile(
    r"(?:(?i:\b(?:in|since|from|until|till|by|of|the|my|our|their|its|and|or|for|per|each|every))"
    # a date or a copyright line: "July 2025 The Top 10", "Nov. 19, 2025 Carl Court", "© 2025 Paper Trails"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?,)?"
    r"|©|\([Cc]\)|Copyright)\s+$"
)


def _names_no_street(words: str) -> bool:
    """Whether a month or a season is among the words ("Nov. 19, 2025 Carl Court" is a date)."""
    return not _NOT_STREET_NAMES.isdisjoint(word.rstrip(".") for word in words.split())


def _year(text: str, at: int) -> bool:
    """A year rather than a house number: "In 2025, businesses", "Since 2013 Green Roads has"."""
    year = _YEAR.match(text, at)
    return bool(year) and (
        text[year.end() : year.end() + 1] == "," or _YEAR_BEFORE.search(text, max(0, at - 20), at) is not None
    )


_BEFORE_SPACE = (",", ".", "°", "º", "#")  # "Via Roma, 12", "Str. 5", "N° 84", "# 12-34"
# one C-level search of the 24 characters before a number, before any of the patterns that need these words
_FRENCH_NAMED_WORDS = ("rue ", "avenue ", "boulevard ", "chemin ", "allée ", "impasse ", "quai ")


def _romance_types(text: str, ends: list[int]) -> list[int]:
    """Offsets of the Romance street types, scanned only before `ends`, the numbers (or S/N) that can end
    such a street."""
    windows: list[list[int]] = []
    for end in sorted(ends):
        start = max(0, end - _ROMANCE_REACH)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    return sorted({m.start() for lo, hi in windows for m in _ROMANCE_TYPE.finditer(text, lo, hi)})


_BOX_WORDS = re.compile("Box|Bag|Postfach|postale|BP|Apartado|orreo|Casilla|Postal|Postbus")
_MILITARY_WORDS = re.compile("PSC|CMR|Unit|PO ")


@dataclass
class _Page:
    """One page's text, with the offsets of its Romance street types and the ends of its address labels."""

    text: str
    types: list[int]
    labels: list[int]
    vietnamese: bool = False  # whether a letter of Vietnamese is on the page (most pages: none)

    def at(self, at: int) -> set[tuple[int, int]]:
        """Spans of the styles whose house number (or ZIP code) can be the digit at `at`."""
        text = self.text
        found = set()
        before = text[max(0, at - 24) : at]
        # number first: English, French, ...; not the thousands of a price ("$1,550,000 Incline Village"),
        # nor a 0 unless a label says that it is an address ("0 Trophy Points", "0 Back To Top")
        if (
            _NUMBER_THEN_WORD.match(text, at)
            and not _year(text, at)
            and not (text[at - 1 : at] == "," and text[at - 2 : at - 1].isdigit())
            and not (_ZERO.match(text, at) and not self._labelled(at))
        ):
            window = max(0, at - _LEAD_REACH)
            lead = _EN_LEAD.search(text, window, at) if _LEAD_WORDS.search(text, window, at) else None
            start = lead.start() if lead else at
            matches = [
                _EN_NUMBER_FIRST.match(text, start),
                _EN_HOUSE_NAMED.match(text, start),
                _FRENCH_NUMBER_FIRST.match(text, at),
            ]
            flat = _FLAT_BEFORE.search(before)
            if flat:
                matches.append(_EN_FLAT_FIRST.match(text, at - len(before) + flat.start()))
            if self.vietnamese:
                vn_start = at - 3 if before.endswith("Số ") else at
                matches.append(_VIETNAMESE.match(text, vn_start))
                typeless = _VN_TYPELESS.match(text, vn_start)
                if (
                    typeless
                    and _VN_LETTER.search(typeless.group(), typeless.group().find(" "))
                    and not _SLASHED_DATE.match(typeless.group())
                ):
                    matches.append(typeless)
            military = _MILITARY_WORDS.search(before) and _MILITARY_BEFORE.search(before)
            if military:
                matches.append(_MILITARY.match(text, at - len(before) + military.start()))
            found |= {m.span() for m in matches if m}
            found |= self._typeless_first(start, at)
        if at >= 2 and (text[at - 2].isalpha() or text[at - 2] in _BEFORE_SPACE):  # number last
            found |= self.number_last(at)
        if _BOX_WORDS.search(before) and _POSTAL_BOX_BEFORE.search(before):
            box = _POSTAL_BOX.search(text, max(0, at - 32), at + 12)
            if box and box.end() > at:
                found.add(box.span())
        if "PO " in before and before.rstrip()[-2:] in ("AA", "AE", "AP") and _MILITARY_BEFORE.search(before):
            ship = _MILITARY.search(text, max(0, at - 70), at + 12)  # USNS Smith\nFPO AE 12345
            if ship and ship.end() > at:
                found.add(ship.span())
        return found

    def number_last(self, at: int) -> set[tuple[int, int]]:
        """Romance types first (Via Roma, 12), streets without a type, German and Dutch compounds."""
        text = self.text
        found = set()
        for start in self.types[bisect.bisect_left(self.types, at - _ROMANCE_REACH) :]:
            if start >= at:
                break
            match = _ROMANCE.match(text, start)
            if not (match and match.end() > at) and text.startswith(_SLAVIC_STARTS, start):
                match = _SLAVIC_FIRST.match(text, start)
                if match and self._lower_then_prose(match.group().split()[1:-1], match.end()):
                    match = None
            if match and match.end() > at:
                found.add(match.span())
                break
        found |= self._typeless(at)
        word = self._word_before(at)
        if word in _TYPE_AFTER_LAST_WORDS or (
            word in ("No", "No.") and self._word_before(at - 1 - len(word)) in _TYPE_AFTER_LAST_WORDS
        ):
            named = _TYPE_AFTER.search(text, max(0, at - _TYPE_AFTER_REACH), at)
        else:
            named = None
        house = named and _TYPE_AFTER_HOUSE.match(text, at)
        if (
            house
            and not _YEAR.fullmatch(house.group())
            and not self._lower_then_prose(
                [w for w in named.group().split() if w not in ("No", "No.")][1:-1], house.end()
            )
        ):
            found.add((named.start(), house.end()))
        found |= self._prepositional(at)
        found |= self._slavic_lower(at)
        found |= self._adjective_street(at)
        if text[max(0, at - _GERMANIC_REACH) : at].rstrip().lower().endswith(_GERMANIC_SUFFIXES):
            tail = _GERMANIC_TAIL.search(text, max(0, at - 20), at + 40)
            head = tail and _GERMANIC_HEAD.search(text, max(0, tail.start() - _GERMANIC_REACH), tail.start())
            if head and head.end() < tail.start():  # "$" matched before a line break: a name above
                head = None
            if tail and not head and tail.group().lower().startswith(_FINNISH_ALONE):
                head = _WORD_START.match(text, tail.start())
            if tail and not head and tail.group().split()[0] in _GERMANIC_ALONE:
                head = _GERMANIC_WORDS_HEAD.search(text, max(0, tail.start() - _GERMANIC_REACH), tail.start())
                if head and head.group().split()[0] in _ARTICLES:
                    head = None
            if head:
                word = text[head.start() : tail.start("no")].rstrip().lower()
                # "Weg 5" or "Ring 3" alone is a common noun with a count, "String 2" a type, "Hauptstraße
                # 2024" a year
                suffix = tail.group().split()[0]
                finnish = _FINNISH_ONLY.get(suffix.lower())
                if (
                    (len(word) - len(suffix) >= 2 or word in _FINNISH_ALONE)
                    and not word.endswith(_TECHNICAL_COMPOUNDS)
                    and not _YEAR.fullmatch(tail.group("no"))
                    and not (finnish and not finnish.search(word[: -len(suffix)]))
                    and not _ABBREVIATION_BEFORE.search(text, head.start(), tail.start())
                ):
                    found.add((self._names_before(head.start()), tail.end()))
        return found

    def _names_before(self, start: int) -> int:
        """Where a compound street name that starts at `start` starts with its first names or title
        (see _NAMES_BEFORE); an article before them is no part of it ("Die Hauptstraße 5")."""
        names = _NAMES_BEFORE.search(self.text, max(0, start - 40), start)
        if not names:
            return start
        words = names.group().split()
        while words and words[0] in _ARTICLES:
            words.pop(0)
        return start - len(" ".join(words)) - 1 if words else start

    def _lower_then_prose(self, words: list[str], end: int) -> bool:
        """Whether a name with a lower-case word among `words` (Ulica prvoborcev) runs on into prose after
        its number."""
        lower = any(w[0].islower() for w in words)
        return lower and _LOWER_AFTER.match(self.text, end) is not None

    def _prepositional(self, at: int) -> set[tuple[int, int]]:
        """Am Roten Stein 22, In der Krim 5, U Lednice 6: a German, Czech or Slovak name that opens with a
        preposition, capitalized in the middle of a sentence (prose writes "im Kapitel 5", "v Debianu 12")."""
        text = self.text
        name = _PREPOSITIONAL.search(text, max(0, at - 60), at)
        before = text[max(0, name.start() - 2) : name.start()] if name else ""
        if not name or not (before == ", " or (before[-1:] == " " and before[:1].islower())):
            return set()
        house = _HOUSE_END.match(text, at)
        if not house or _YEAR.fullmatch(house.group().split()[0]) or _names_no_street(name.group()):
            return set()
        return {(name.start(), house.end())}

    def _slavic_lower(self, at: int) -> set[tuple[int, int]]:
        """Na barine 13, Stará černicová 3 (see _SLAVIC_LOWER): in the middle of a sentence, or on a line of
        its own over a postcode; never when prose runs on after the number."""
        text = self.text
        name = _SLAVIC_LOWER.search(text, max(0, at - 40), at)
        if not name or len(name.group().split()[-1]) < 3:
            return set()
        house = _HOUSE_END.match(text, at)
        if not house or _YEAR.fullmatch(house.group().split()[0]):
            return set()
        before = text[max(0, name.start() - 2) : name.start()]
        mid_sentence = (before == ", " or (before[-1:] == " " and before[:1].islower())) and (
            name.group("preposition") or _SENTENCE_END.match(text, house.end())
        )
        line = (name.start() == 0 or before[-1:] == "\n") and _POSTCODE_AFTER.match(text, house.end())
        return {(name.start(), house.end())} if mid_sentence or line else set()

    def _adjective_street(self, at: int) -> set[tuple[int, int]]:
        """Mirogojska 39, Bogovićeva 1a, Jiráskova 1276/12 (see _ADJECTIVE_STREET), on one line. A name
        before a possessive is a person's ("Monika Nemcova 17 minutes read": Czech and Slovak surnames)."""
        text = self.text
        word = self._word_before(at)
        if (
            text[at - 1] not in " \u00a0"
            or not _ADJECTIVE_STREET.fullmatch(word)
            or word.endswith("nova")
            or word in _NOT_STREET_NAMES
            or (
                word.endswith(_POSSESSIVES)
                and _NAME_BEFORE.search(text, max(0, at - len(word) - 40), at - len(word) - 1) is not None
            )
        ):
            return set()
        house = _ADJECTIVE_HOUSE.match(self.text, at)
        if not house or _YEAR.fullmatch(house.group()):
            return set()
        return {(at - 1 - len(word), house.end())}

    def _word_before(self, at: int) -> str:
        """The word that ends one space before `at` ("ulica" in "Vipavska ulica 30")."""
        return self.text[self.text.rfind(" ", max(0, at - 24), at - 1) + 1 : at - 1]

    def _typeless_first(self, start: int, at: int) -> set[tuple[int, int]]:
        """636 Sarkar, 560001 Bengaluru / 送付先：1 Johnny Key / 565 allé Desjardins Suite 918 / Apt. 173
        84 Simmons Dip (see _TYPELESS_FIRST); `start` is the flat or floor before the number, or the number
        itself."""
        text = self.text
        street = _TYPELESS_FIRST.match(text, at)
        if not street or _names_no_street(street.group()):
            return set()
        labelled = self._labelled(start)
        line_item = start == 0 or text[start - 1] == "\n" or text[start - 2 : start] == ", "
        if labelled:  # the label carries the number over a line break too: 送付先：093\nBorde
            return {(start, street.end())}
        if "\n" in street.group("gap"):
            return set()
        if _DWELLING_AFTER.match(street.group("unit")) or _DWELLING_BEFORE.fullmatch(text, start, at):
            return {(start, street.end())}
        postcode = line_item and _POSTCODE_AFTER.match(text, street.end())
        if postcode and not self._among_counts(start, street.end(), postcode.end()):
            return {(start, street.end())}
        return set()

    def _labelled(self, at: int) -> bool:
        """Whether an address label ("Address:", "送付先：") stands right before `at`."""
        i = bisect.bisect_right(self.labels, at) - 1
        return i >= 0 and not self.text[self.labels[i] : at].strip()

    def _among_counts(self, start: int, end: int, town: int) -> bool:
        """Whether the street [start, end) and its town line (which `town` is in) are items of a list of
        counts: the item before or after them is a count too ("4 USB Ports\n1200 Watts\n3 Speed Settings"),
        or both count the same noun ("108 Published Articles\n3824 Edited Articles")."""
        text = self.text
        cut = max(text.rfind("\n", 0, start - 1), text.rfind(", ", 0, start - 2) + 1)
        if start > 1 and _NUMBERED_ITEM.match(text, cut + 1, start):
            return True
        ends = [i for i in (text.find("\n", town), text.find(",", town)) if i >= 0]
        town_line = text[town : min(ends) if ends else len(text)].split()
        if town_line and town_line[-1] == text[start:end].split()[-1]:
            return True
        return bool(ends) and _NUMBERED_ITEM.match(text, min(ends) + 1) is not None

    def _line_item(self, start: int) -> bool:
        """Whether `start` opens a line or an item after ", " (where an address's parts stand)."""
        return start == 0 or self.text[start - 1] == "\n" or self.text[start - 2 : start] == ", "

    def _typeless(self, at: int) -> set[tuple[int, int]]:
        """Los Pinos 26 Dpto. 895 / Lautaro 79, H-8815 Széknémeti / Address: Baker 12 (see _POSTCODE)."""
        text = self.text
        with_unit = _TYPELESS_WITH_UNIT.match(text, at) or _TYPELESS_BEFORE_COLONIA.match(text, at)
        over_postcode = None if with_unit else _TYPELESS_OVER_POSTCODE.match(text, at)
        i = bisect.bisect_left(self.labels, at - 60)
        labelled = i < len(self.labels) and self.labels[i] <= at
        if not (with_unit or over_postcode or labelled):
            return set()
        name = _TYPELESS_NAME.search(text, max(0, at - 60), at)
        if over_postcode and not (name and self._line_item(name.start())):
            lower = _TYPELESS_LOWER_NAME.search(text, max(0, at - 60), at)
            if lower and self._line_item(lower.start()) and _TOWN_LINE.match(text, at):
                name = lower
        house = _HOUSE_END.match(text, at)
        if (
            not name
            or _names_no_street(name.group())
            or (house and _YEAR.fullmatch(house.group().split()[0]))
        ):
            return set()
        line_item = self._line_item(name.start())
        label_before = labelled and _ADDRESS_LABEL_BEFORE.search(
            text, max(0, name.start() - 16), name.start()
        )
        tail = with_unit or (line_item and over_postcode) or (label_before and _HOUSE_END.match(text, at))
        return {(name.start(), tail.end())} if tail else set()
