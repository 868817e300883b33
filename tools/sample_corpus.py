"""Deterministic sample corpus: realistic web pages written as Common Crawl style WARC.gz files.

Shared by tests, the demo and the benchmarks. Every page kind the pipeline must handle is planted
(articles, math in each common rendering, highlighted code, PII, duplicates, spam, log dumps, other
languages, broken records) and the ground truth of what was planted is returned and written as
truth.json. Output depends only on (pages, seed, files): randomness comes from `random.Random` seeded
with strings (hashed with SHA-512, so independent of PYTHONHASHSEED), timestamps are fixed, and every
gzip member is written with mtime=0.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import html
import json
import os
import random
import re
import struct
import sys
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_plus

# Share of each good-page kind; articles get the rest (50%). Math and code are over-represented
# compared with a crawl so that every rendering and style occurs in a 300-page sample.
KIND_SHARES: dict[str, float] = {
    "math": 0.10,
    "code": 0.10,
    "pii": 0.08,
    "exact_dup": 0.04,
    "near_dup": 0.04,
    "spam": 0.02,
    "keyword_stuffed": 0.02,
    "log_dump": 0.02,
    "other_language": 0.08,
}
NEAR_DUP_EDIT_RATES = (0.02, 0.05, 0.10, 0.30)
CRAWL_START = datetime(2024, 3, 1, tzinfo=UTC)
_RFC1123 = "%a, %d %b %Y %H:%M:%S GMT"


# --------------------------------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PiiValue:
    """One planted PII value, typed with presidio's entity names (STREET_ADDRESS is our own)."""

    type: str
    value: str


@dataclass(frozen=True)
class RecordTruth:
    """What was planted in one WARC response record (keyed by its WARC-Record-ID)."""

    record_id: str
    url: str
    kind: str
    file: str
    offset: int  # byte offset of the record's gzip member in `file`
    title: str = ""
    lang: str = "en"
    charset: str = "utf-8"  # charset the body bytes are really encoded in
    declared_charset: str = "utf-8"  # charset the HTTP header and <meta> claim
    original_id: str | None = None  # for exact_dup / near_dup: the record they copy
    edit_rate: float | None = None  # for near_dup: share of article words replaced
    math_rendering: str | None = None  # a key of MATH_RENDERERS
    latex: tuple[str, ...] = ()
    code_style: str | None = None  # one of CODE_STYLES
    code: tuple[str, ...] = ()
    pii: tuple[PiiValue, ...] = ()
    expected_error: str | None = None  # for broken_* records: why a reader must reject them

    @classmethod
    def from_json(cls, obj: dict) -> RecordTruth:
        return cls(**{**obj, "latex": tuple(obj["latex"]), "code": tuple(obj["code"]),
                      "pii": tuple(PiiValue(**p) for p in obj["pii"])})


@dataclass(frozen=True)
class SampleTruth:
    """Ground truth of a generated corpus: one entry per response record, in file order."""

    seed: int
    pages: int
    files: tuple[str, ...]
    records: tuple[RecordTruth, ...]

    def by_id(self) -> dict[str, RecordTruth]:
        return {r.record_id: r for r in self.records}

    def by_url(self) -> dict[str, RecordTruth]:
        return {r.url: r for r in self.records}

    def count_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(r.kind for r in self.records).items()))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(asdict(self), f, ensure_ascii=False, indent=1)
            f.write("\n")

    @classmethod
    def load(cls, path: str) -> SampleTruth:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
        return cls(obj["seed"], obj["pages"], tuple(obj["files"]),
                   tuple(RecordTruth.from_json(r) for r in obj["records"]))


# --------------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """Words an article about one field is composed from."""

    field: str
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    verbs: tuple[str, ...]  # regular verbs, base form
    orgs: tuple[str, ...]


def _words(s: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in s.split(",") if w.strip())


TOPICS: tuple[Topic, ...] = (
    Topic("astronomy", _words("telescope, galaxy, comet, orbit, star cluster, nebula, exoplanet, observatory,"
                              " spectrum, solar flare, asteroid, moon, supernova, dark matter survey,"
                              " light curve, mirror, radio dish, meteor shower, planet, eclipse"),
          _words("faint, distant, bright, massive, rocky, icy, stellar, orbital, infrared, unexpected"),
          _words("observe, detect, measure, track, map, catalogue, image, model"),
          _words("the European Southern Observatory, NASA, the Vera Rubin team, Caltech, the Royal Society")),
    Topic("cooking", _words("recipe, sourdough starter, cast iron pan, broth, spice blend, oven, dough,"
                            " marinade, knife, harvest vegetable, sauce, braise, pantry, kitchen,"
                            " fermentation jar, olive oil, stock pot, dumpling, noodle, crust"),
          _words("crisp, tender, fragrant, seasonal, rustic, smoky, savory, homemade, slow, simple"),
          _words("bake, roast, season, simmer, taste, prepare, knead, whisk"),
          _words("the Culinary Institute, a Lyon bistro, a Tokyo noodle bar, the local market co-op")),
    Topic("gardening", _words("tomato plant, compost heap, seed tray, raised bed, soil, greenhouse,"
                              " pollinator, hedge, rose bush, irrigation line, mulch, orchard,"
                              " cutting, seedling, herb garden, root system, frost, watering can"),
          _words("hardy, fertile, shady, drought-tolerant, perennial, leafy, organic, native, young, wild"),
          _words("plant, water, cultivate, harvest, transplant, protect, fertilize, shelter"),
          _words("the Royal Horticultural Society, a community allotment, the county extension office")),
    Topic("economics", _words("inflation rate, labor market, interest rate, central bank, supply chain,"
                              " household budget, wage, tariff, housing market, bond yield, recession,"
                              " productivity, trade deficit, pension fund, small business, tax credit"),
          _words("fiscal, monetary, global, regional, volatile, structural, modest, rising, weak, steady"),
          _words("forecast, stabilize, reduce, increase, finance, borrow, export, regulate"),
          _words("the IMF, the Federal Reserve, the OECD, the Bank of England, a Chicago think tank")),
    Topic("medicine", _words("clinical trial, vaccine, patient, hospital ward, blood test, antibiotic,"
                             " immune response, diagnosis, nurse, surgeon, therapy, symptom,"
                             " pharmacy, heart rate, public health campaign, dosage, side effect"),
          _words("chronic, acute, preventive, clinical, rare, common, effective, early, mild, severe"),
          _words("treat, diagnose, prevent, monitor, prescribe, screen, recover, vaccinate"),
          _words("the WHO, Johns Hopkins, the Mayo Clinic, a regional health authority, the NHS")),
    Topic("software engineering", _words("code review, compiler, database, unit test, deployment,"
                                          " microservice, memory leak, API, build system, cache,"
                                          " release branch, dependency, feature flag, log file,"
                                          " query planner, thread pool, schema migration, bug report"),
          _words("distributed, legacy, scalable, concurrent, open-source, flaky, modular, fast, stable"),
          _words("deploy, refactor, compile, debug, cache, benchmark, document, review"),
          _words("the Apache Software Foundation, a Berlin startup, the Linux Foundation, a bank's IT team")),
    Topic("climate", _words("ice sheet, sea level, heat wave, carbon budget, wind farm, solar panel,"
                            " rainfall pattern, glacier, wildfire season, emission target, drought,"
                            " coral reef, permafrost, storm surge, grid battery, forest canopy"),
          _words("warming, coastal, renewable, extreme, seasonal, arctic, tropical, urban, long-term"),
          _words("reduce, measure, adapt, restore, protect, capture, forecast, monitor"),
          _words("the IPCC, the Met Office, NOAA, a Dutch water board, the Copernicus programme")),
    Topic("music", _words("symphony, guitar riff, concert hall, record label, chord progression,"
                          " drummer, vinyl pressing, string quartet, album, studio session, melody,"
                          " orchestra, festival stage, playlist, bass line, choir, rehearsal"),
          _words("acoustic, melodic, experimental, live, classical, loud, subtle, rhythmic, haunting"),
          _words("compose, record, perform, rehearse, arrange, produce, tour, release"),
          _words("the Berlin Philharmonic, an independent label, Abbey Road Studios, a Nashville venue")),
    Topic("history", _words("archive, manuscript, treaty, empire, trade route, cathedral, dynasty,"
                            " revolution, census record, harbor town, railway, guild, monastery,"
                            " parliament, letter, fortress, map collection, colony"),
          _words("medieval, ancient, colonial, forgotten, royal, rural, industrial, early, contested"),
          _words("document, preserve, restore, examine, interpret, catalogue, translate, explore"),
          _words("the British Library, a university archive, the Smithsonian, a local history society")),
    Topic("sports", _words("marathon, training plan, goalkeeper, league table, stadium, coach,"
                           " transfer window, sprint, tournament, season ticket, penalty kick,"
                           " team captain, injury, match, cycling route, swimming pool, relay"),
          _words("competitive, amateur, professional, tactical, youth, fast, defensive, grueling"),
          _words("train, coach, compete, score, defend, recover, qualify, practice"),
          _words("FIFA, the International Olympic Committee, a local running club, the NBA")),
    Topic("urban planning", _words("bike lane, zoning law, bus route, apartment block, public square,"
                                    " tram line, parking lot, housing permit, street tree, sidewalk,"
                                    " city council, neighborhood, commuter, traffic signal, park"),
          _words("dense, walkable, suburban, affordable, crowded, green, historic, mixed-use, quiet"),
          _words("plan, widen, connect, redevelop, permit, design, pedestrianize, survey"),
          _words("the city council, a Copenhagen design studio, the transit authority, a housing trust")),
    Topic("biology", _words("cell membrane, enzyme, protein, gene, bacterium, microscope, ecosystem,"
                            " species, fossil, ribosome, tissue sample, mutation, coral polyp,"
                            " neuron, seed bank, virus, field study, food web"),
          _words("cellular, genetic, microbial, marine, invasive, endangered, complex, tiny, diverse"),
          _words("sequence, classify, culture, observe, isolate, measure, compare, catalogue"),
          _words("the Max Planck Institute, the Natural History Museum, the Wellcome Trust,"
                 " a field station")),
)
GENERIC_ADJECTIVES = _words("new, important, surprising, careful, practical, difficult, familiar, "
                            "promising, uncertain, remarkable, useful, small, large, recent, local")
FIRST_NAMES = _words("Maria, James, Aisha, Chen, Olga, Daniel, Priya, Lucas, Fatima, Kenji, Sofia, Tom,"
                     " Amara, Mateo, Ingrid, Yusuf, Hannah, Rahul, Elena, Kwame, Laura, Pedro, Mei, Samuel")
LAST_NAMES = _words("Lopez, Okafor, Nguyen, Schmidt, Patel, Kowalski, Haddad, Tanaka, Rossi, Johansson,"
                    " Garcia, Mensah, Ivanova, Murphy, Silva, Chen, Dubois, Novak, Brown, Yilmaz")
CITIES = _words("Lisbon, Nairobi, Osaka, Toronto, Krakow, Melbourne, Leeds, Bogota, Hanoi, Denver, Lyon,"
                " Accra, Tallinn, Pune, Valencia, Edinburgh, Porto Alegre, Seattle, Gothenburg, Izmir")

# Slots: {n} {n2} {n3} nouns, {ns} {ns2} plural nouns, {a} {a2} adjectives, {v} {v2} verbs (base),
# {v3} third person, {vd} {vd2} past, {ving} gerund, {person}, {org}, {place}, {field}, {year}, {pct},
# {num}, {small}.
SENTENCES: tuple[str, ...] = (
    "The {a} {n} {v3} the way {ns2} are {vd} in {place}.",
    "According to {person}, the {n} {v3} more than most people expect.",
    "In {year}, a team at {org} {vd} how {a} {ns} {v} the {n2}.",
    "Most {ns} do not {v} the {n2} on their own, which is why the {a} {n3} matters.",
    "This is not a new idea; people have {vd} the {n2} for decades.",
    "{person} argues that the {n} should be {vd} before anyone tries to {v} the {n2}.",
    "Roughly {pct} percent of the {ns} we {vd} showed a {a} {n2}.",
    "If you want to {v} a {n}, start with the {n2} and work outward from there.",
    "The results were {a}, but they also raised new questions about the {n}.",
    "Critics point out that {a} {ns} rarely {v} the {n2} in practice.",
    "Over the next {small} years, {org} plans to {v} its {n} and {v2} the {n2}.",
    "What makes the {n} {a} is not its size but its {n2}.",
    "There is still no agreement on how to {v} the {n}, and the debate continues.",
    "For now, the best advice is to {v} the {n} carefully and to {v2} any {a} {n2}.",
    "The {n} in {place} is a good example: it {vd} the {n2} without {ving} the {n3}.",
    "Researchers {vd} {num} {ns} and found that the {a} ones {vd2} the {n2} far more often.",
    "\u201cWe did not expect the {n} to {v} so quickly,\u201d said {person}.",
    "Even so, the {a} {n} remains one of the most {a2} topics in {field}.",
    "Each {n} has its own {n2}, and that {n2} can {v} the {n3} in surprising ways.",
    "The question, then, is whether anyone can {v} the {n2} at all.",
    "A {a} {n} may look simple, yet it depends on a long chain of {ns2}.",
    "By {year}, the cost of the {n} had fallen by almost {pct} percent.",
    "Her work on the {n} helped {org} {v} its {a} {ns2}.",
    "That is why many teams now {v} the {n2} before they {v2} the {n3}.",
    "The {n} and the {n2} are closely linked, as {person} noted in a recent interview.",
    "Nobody knows exactly how the {n} will {v} the {n2}, but the early signs are {a}.",
    "When {person} first {vd} the {n} in {year}, few colleagues took the idea seriously.",
    "It took {small} more years, and a {a} {n2}, before {org} agreed to {v} it.",
    "In {place}, the {n} is usually {vd} by hand, which keeps the {n2} {a}.",
    "Some {ns} {v} the {n2}; others simply ignore it and hope for the best.",
    "Few people outside {field} have heard of the {n}, yet it touches daily life in {place}.",
    "The {n2} was {vd} twice last spring, and both attempts ended with a {a} {n}.",
    "A survey of {num} households found that most had never {vd} a {n} themselves.",
    "Looking back, {person} says the hardest part was convincing {org} to {v} anything at all.",
    "Budgets are tight, so the {n} will have to {v} alongside an aging {n2}.",
    "Her colleagues in {place} took a different route and {vd} the {n3} first.",
    "One reason is cost: a single {n} can run to {num} dollars before anyone has {vd} it.",
    "Another is timing, since the {n2} only becomes visible late in the year.",
    "Local volunteers now keep a logbook of every {n} they {v} along the river.",
    "The pilot project ran for {small} months and ended with a {a} report on the {n2}.",
    "None of this would have happened without a grant from {org}.",
    "At first glance the {n} and the {n2} have little in common.",
    "Instead of asking why the {n} failed, {person} asked what had kept it going for so long.",
    "The data are messy, and some of the older records about the {n2} are missing entirely.",
    "Still, the broad pattern is hard to ignore: {a} {ns} tend to {v} the {n2} sooner.",
    "Visitors to {place} often notice the {n} before they notice anything else.",
    "In an email, a spokesperson for {org} declined to comment on the {n}.",
    "Two years later, a second study {vd} the same {n2} with a larger sample.",
    "The old assumption was that every {n} needs a {a} {n2}; that turned out to be wrong.",
    "Students who {vd} the {n} in class later went on to {v} the {n2} at work.",
    "It is easy to forget how recently the {n} was considered {a}.",
    "Whether that trend holds beyond {place} is an open question.",
    "For a handful of {ns}, the change came too late.",
    "The report, published in {year}, runs to more than {num} pages.",
    "Funding for the {n2} is expected to double by the end of the decade.",
    "Most of the work happens out of sight, long before the {n} reaches the public.",
    "As one engineer put it, the {n} is only as good as the {n2} behind it.",
    "Small changes to the {n3} turned out to matter more than anyone had guessed.",
    "The team hopes to {v} a second {n} in {place} next year.",
    "Some of the earliest accounts of the {n} come from letters written in {place}.",
)
OPENERS = ("In {place}, ", "Since {year}, ", "Even so, ", "By contrast, ", "In practice, ",
           "At the same time, ", "According to {org}, ", "For many years, ", "Not surprisingly, ",
           "In the meantime, ", "Until recently, ",
           "Last winter, ", "On paper, ", "In the end, ", "Over time, ", "Meanwhile, ")
# First words of templates that still read well after an opener (no connective of their own).
OPENABLE = frozenset(("The", "Most", "Some", "Few", "Students", "Researchers", "Local", "Visitors", "Funding",
                      "Small", "Budgets", "Each"))
TITLES: tuple[str, ...] = (
    "Why the {a} {n} matters more than you think",
    "How {org} learned to {v} the {n}",
    "The {a} {n} of {place}: a field report",
    "What {num} {ns} taught us about {field}",
    "A practical guide to the {a} {n}",
    "{person} on the future of the {n}",
    "Ten years of {ns} in {place}",
    "Is the {n} really {a}? A closer look",
)
COMMENTS = (
    "Great write-up, thanks for sharing.", "I had exactly the same experience last year.",
    "Does anyone have a source for the figures in the third paragraph?", "Bookmarked. Very helpful.",
    "I disagree with the conclusion, but the background section is excellent.",
    "Could you do a follow-up on this?", "This is the clearest explanation I have read so far.",
    "Thanks! Sharing this with my team.", "The link in the second section seems to be broken.",
)


def _plural(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


def _verb_forms(verb: str) -> tuple[str, str, str]:
    """(third person, past, gerund) of a regular verb."""
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"
    if verb.endswith("e"):
        return verb + "s", verb + "d", verb[:-1] + "ing"
    third = verb + "es" if verb.endswith(("s", "x", "ch", "sh")) else verb + "s"
    return third, verb + "ed", verb + "ing"


def _fill(template: str, slots: dict[str, str]) -> str:
    text = template.format(**slots)
    text = re.sub(r"\b([Aa]) (?=[aeioAEIO]|un[^i]|ur)", r"\1n ", text)  # "a" -> "an" before a vowel sound
    return text[0].upper() + text[1:]


class ProseWriter:
    """Composes sentences, paragraphs and titles about one topic from templates and vocabularies."""

    def __init__(self, rng: random.Random, topic: Topic) -> None:
        self.rng = rng
        self.topic = topic
        self._deck: list[str] = []

    def _slots(self) -> dict[str, str]:
        rng, t = self.rng, self.topic
        n, n2, n3 = rng.sample(t.nouns, 3)
        verbs = t.verbs + ("improve", "change", "explain", "shape", "influence", "question", "test")
        v, v2 = rng.sample(verbs, 2)
        adjectives = t.adjectives + GENERIC_ADJECTIVES
        return {
            "n": n, "n2": n2, "n3": n3, "ns": _plural(n), "ns2": _plural(n2),
            "a": rng.choice(adjectives), "a2": rng.choice(adjectives),
            "v": v, "v2": v2, "v3": _verb_forms(v)[0], "vd": _verb_forms(v)[1], "vd2": _verb_forms(v2)[1],
            "ving": _verb_forms(v2)[2], "person": self.person(), "org": rng.choice(t.orgs),
            "place": rng.choice(CITIES), "field": t.field, "year": str(rng.randint(1975, 2023)),
            "pct": str(rng.randint(3, 95)), "num": str(rng.randint(12, 4000)),
            "small": str(rng.randint(2, 9)),
        }

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def sentence(self) -> str:
        """Templates are dealt from a shuffled deck, so a page repeats none before using them all
        (repeated template text would trip Gopher's duplicate n-gram filters on good articles)."""
        if not self._deck:
            self._deck = list(SENTENCES)
            self.rng.shuffle(self._deck)
        template = self._deck.pop()
        if template.split(" ", 1)[0] in OPENABLE and self.rng.random() < 0.3:
            template = self.rng.choice(OPENERS) + template[0].lower() + template[1:]
        return _fill(template, self._slots())

    def title(self) -> str:
        return _fill(self.rng.choice(TITLES), self._slots())

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def paragraphs(self, words: int) -> list[str]:
        """Paragraphs until about `words` words are written."""
        out: list[str] = []
        count = 0
        while count < words:
            out.append(self.paragraph())
            count += len(out[-1].split())
        return out


@dataclass(frozen=True)
class Language:
    """Genuine sentences in one language; pages combine a random subset of them."""

    code: str
    nav: tuple[str, ...]
    titles: tuple[str, ...]
    sentences: tuple[str, ...]


LANGUAGES: tuple[Language, ...] = (
    Language("de", ("Startseite", "Politik", "Wirtschaft", "Kultur", "Sport", "Kontakt"),
             ("Neue Ideen für die Stadt von morgen", "Was der Winter für die Landwirtschaft bedeutet"),
             ("Die Stadtverwaltung hat am Montag neue Pläne für den Ausbau der Radwege vorgestellt.",
              "Viele Anwohner begrüßen das Vorhaben, doch einige Händler fürchten um ihre Kundschaft.",
              "Im vergangenen Jahr sind die Mieten in der Innenstadt um fast zehn Prozent gestiegen.",
              "Der Bürgermeister betonte, dass die Finanzierung bereits vollständig gesichert sei.",
              "Nach Angaben des Wetterdienstes war der Februar deutlich wärmer als im langjährigen Mittel.",
              "Die Landwirte in der Region rechnen deshalb mit einer früheren Aussaat.",
              "Eine Sprecherin der Universität erklärte, die Studie werde im Herbst veröffentlicht.",
              "Kritiker bemängeln, dass die Bürger zu spät in die Planung einbezogen wurden.",
              "Am Wochenende findet auf dem Marktplatz wieder das traditionelle Frühlingsfest statt.",
              "Die Bahn kündigte an, die Strecke zwischen den beiden Städten ab Mai zu modernisieren.",
              "Wer Fragen zum neuen Verfahren hat, kann sich an das Bürgerbüro im Rathaus wenden.",
              "Die Ausstellung im Stadtmuseum zeigt Fotografien aus den ersten Jahren nach dem Krieg.",
              "Experten gehen davon aus, dass sich der Trend in den nächsten Jahren fortsetzen wird.")),
    Language("fr", ("Accueil", "Actualités", "Économie", "Culture", "Sport", "Contact"),
             ("Les nouveaux défis de l'agriculture locale", "Une ville qui change de visage"),
             ("La mairie a présenté lundi un nouveau projet pour réaménager les quais de la ville.",
              "Les habitants du quartier seront consultés lors d'une réunion publique au mois d'avril.",
              "Selon les derniers chiffres, le prix des logements a encore augmenté l'an dernier.",
              "Les agriculteurs de la région s'inquiètent du manque de pluie depuis le début du printemps.",
              "Le musée municipal accueille jusqu'en juin une exposition consacrée aux peintres du Nord.",
              "Plusieurs associations demandent davantage de pistes cyclables dans le centre-ville.",
              "Le gouvernement a promis de publier un rapport détaillé avant la fin de l'année.",
              "Les chercheurs ont observé une nette amélioration de la qualité de l'eau dans la rivière.",
              "Cette décision a surpris de nombreux observateurs, qui attendaient plus de prudence.",
              "Le festival de musique, qui fête cette année ses vingt ans, attend dix mille visiteurs.",
              "La nouvelle ligne de tramway devrait être mise en service à la rentrée prochaine.",
              "Pour en savoir plus, les lecteurs peuvent consulter le site officiel de la région.",
              "Il reste toutefois de nombreuses questions sur le financement du projet.")),
    Language("es", ("Inicio", "Noticias", "Economía", "Cultura", "Deportes", "Contacto"),
             ("El reto del agua en los pueblos del interior", "Cómo cambia el centro de la ciudad"),
             ("El ayuntamiento presentó ayer un plan para renovar las calles del casco antiguo.",
              "Los vecinos podrán enviar sus propuestas hasta finales del próximo mes.",
              "Según los datos oficiales, el turismo creció un doce por ciento durante el verano.",
              "Los agricultores de la comarca temen que la sequía afecte a la cosecha de este año.",
              "La biblioteca municipal ampliará su horario a partir del lunes que viene.",
              "Varios expertos advierten de que el precio de la vivienda seguirá subiendo.",
              "El equipo local consiguió una victoria importante en el último minuto del partido.",
              "La universidad ha firmado un acuerdo con varias empresas para impulsar la investigación.",
              "Muchos comerciantes del barrio celebran la llegada de la nueva línea de autobús.",
              "La exposición reúne más de cien fotografías tomadas en la década de los sesenta.",
              "El gobierno regional anunció nuevas ayudas para las familias con hijos pequeños.",
              "Todavía no se sabe cuándo comenzarán las obras del nuevo puente.",
              "Los organizadores esperan que el festival atraiga a visitantes de todo el país.")),
    Language("ru", ("Главная", "Новости", "Экономика", "Культура", "Спорт", "Контакты"),
             ("Как меняется жизнь в небольших городах", "Весна пришла раньше обычного"),
             ("В понедельник городские власти представили новый план развития общественного транспорта.",
              "Жители района смогут обсудить проект на открытом собрании в конце месяца.",
              "По данным статистики, цены на жильё за последний год выросли почти на десять процентов.",
              "Фермеры опасаются, что засушливая весна скажется на будущем урожае.",
              "В городском музее открылась выставка, посвящённая истории местной фабрики.",
              "Эксперты считают, что эта тенденция сохранится ещё несколько лет.",
              "Новая линия трамвая должна заработать осенью следующего года.",
              "Учёные университета опубликовали результаты многолетнего исследования реки.",
              "Многие горожане поддержали идею создания нового парка на месте старого рынка.",
              "Представитель администрации пообещал, что ремонт дороги завершится до зимы.",
              "Фестиваль традиционно собирает тысячи гостей из разных регионов страны.",
              "Подробную информацию можно найти на официальном сайте городской администрации.",
              "Тем не менее многие вопросы о финансировании проекта пока остаются открытыми.")),
    Language("zh", ("首页", "新闻", "经济", "文化", "体育", "联系我们"),
             ("城市交通的新变化", "春天的农村生活"),
             ("市政府周一公布了改善公共交通的新计划。",
              "附近的居民可以在本月底之前提交自己的意见。",
              "根据最新的统计数据，去年本市的房价上涨了将近百分之十。",
              "由于今年春天雨水偏少，当地农民担心收成会受到影响。",
              "市博物馆正在举办一场关于老城区历史的展览。",
              "专家认为，这一趋势在未来几年内还会继续。",
              "新的地铁线路预计将在明年秋天正式开通。",
              "大学的研究团队发表了一项关于河流水质的长期研究。",
              "许多市民支持在旧市场的位置建设一座新公园。",
              "有关部门表示，道路维修工程将在冬季之前完成。",
              "这个音乐节每年都会吸引来自全国各地的游客。",
              "更多详细信息可以在政府的官方网站上查询。",
              "不过，关于项目资金的问题目前仍然没有答案。")),
    Language("ja", ("ホーム", "ニュース", "経済", "文化", "スポーツ", "お問い合わせ"),
             ("地方都市の新しい交通計画", "春の訪れと農家の準備"),
             ("市は月曜日、公共交通を改善するための新しい計画を発表しました。",
              "近くに住む人々は、今月末まで意見を提出することができます。",
              "最新の統計によると、昨年の住宅価格は約一割上昇しました。",
              "今年の春は雨が少なく、地元の農家は収穫への影響を心配しています。",
              "市立博物館では、古い町並みの歴史を紹介する展示が開かれています。",
              "専門家は、この傾向が今後数年間続くと見ています。",
              "新しい路線は来年の秋に開業する予定です。",
              "大学の研究チームは、川の水質に関する長期的な調査の結果を公表しました。",
              "多くの市民が、古い市場の跡地に新しい公園をつくる案を支持しています。",
              "担当者によると、道路の工事は冬になる前に終わる見込みです。",
              "この音楽祭には、毎年全国から多くの観光客が訪れます。",
              "詳しい情報は、市の公式ウェブサイトで確認できます。",
              "ただし、事業の費用については、まだ多くの疑問が残っています。")),
)

SPAM_ANCHORS = (
    "buy cheap viagra online", "cialis without prescription", "best online casino bonus",
    "free spins no deposit", "CLICK HERE to win", "cheap replica watches", "payday loans approved instantly",
    "earn $5000 a week from home", "lose 30 pounds in 30 days", "hot singles in your area",
    "click here for your free prize", "discount pharmacy no rx", "jackpot slots 100% bonus",
)
SPAM_HOSTS = ("cheap-pills-24.biz", "casino-royal-bonus.top", "best-deals-now.xyz", "winbig-slots.club",
              "rx-discount-meds.info", "free-prize-claim.online")
STUFFED_KEYWORDS = (
    ("cheap flights", "cheap hotels", "best price guaranteed"),
    ("weight loss", "diet pills", "lose weight fast"),
    ("payday loans", "fast cash", "bad credit ok"),
    ("seo services", "rank first on google", "backlinks"),
)
LOG_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
LOG_PATHS = ("/api/v1/items", "/api/v1/users/me", "/healthz", "/static/app.js", "/login", "/api/v1/search")


# --------------------------------------------------------------------------------------------------
# PII
# --------------------------------------------------------------------------------------------------

PII_SENTENCES = (
    "For press enquiries, contact {PERSON} at {EMAIL_ADDRESS} or call {PHONE_NUMBER}.",
    "The leaked spreadsheet listed card number {CREDIT_CARD} next to the customer's name.",
    "Please transfer the deposit to IBAN {IBAN_CODE} before the end of the month.",
    "Her social security number, {US_SSN}, appeared in the breach notice sent to {EMAIL_ADDRESS}.",
    "The first requests came from {IP_ADDRESS}, and a second wave from {IPV6_ADDRESS}.",
    "Letters for {PERSON} can still be sent to {STREET_ADDRESS}.",
    "{PERSON} can be reached on {PHONE_NUMBER} during office hours.",
    "Refunds were paid to the card ending in the number {CREDIT_CARD}, according to {PERSON}.",
)
EMAIL_DOMAINS = ("gmail.com", "outlook.com", "proton.me", "yahoo.co.uk", "web.de", "fastmail.fm")
STREETS = ("Maple", "Oak", "Cedar", "Elm", "Lakeview", "Washington", "Hillcrest", "Sunset", "Park", "Mill")
US_CITIES = (("Springfield", "IL", 627), ("Portland", "OR", 972), ("Austin", "TX", 787),
             ("Madison", "WI", 537),
             ("Albany", "NY", 122), ("Boulder", "CO", 803), ("Tucson", "AZ", 857), ("Raleigh", "NC", 276))


def luhn_valid(number: str) -> bool:
    """True when the digits of `number` pass the Luhn checksum that payment card numbers carry."""
    digits = [int(c) for c in number if c.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True when the ISO 13616 mod-97 check of `iban` holds."""
    compact = iban.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class PiiFactory:
    """Realistic, checksum-valid PII values (cards pass Luhn, IBANs pass mod 97, phones are dialable)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.makers: dict[str, tuple[str, Callable[[], str]]] = {
            "PERSON": ("PERSON", self.person), "EMAIL_ADDRESS": ("EMAIL_ADDRESS", self.email),
            "PHONE_NUMBER": ("PHONE_NUMBER", self.phone), "CREDIT_CARD": ("CREDIT_CARD", self.card),
            "IBAN_CODE": ("IBAN_CODE", self.iban), "US_SSN": ("US_SSN", self.ssn),
            "IP_ADDRESS": ("IP_ADDRESS", self.ipv4), "IPV6_ADDRESS": ("IP_ADDRESS", self.ipv6),
            "STREET_ADDRESS": ("STREET_ADDRESS", self.address),
        }

    def _digits(self, n: int) -> str:
        return "".join(str(self.rng.randint(0, 9)) for _ in range(n))

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def email(self) -> str:
        first, last = self.rng.choice(FIRST_NAMES).lower(), self.rng.choice(LAST_NAMES).lower()
        return f"{first}.{last}{self.rng.randint(1, 99)}@{self.rng.choice(EMAIL_DOMAINS)}"

    def phone(self) -> str:
        rng = self.rng
        formats = (  # geographic numbers in ranges the national numbering plans assign
            lambda: f"+1 {rng.choice(('212', '312', '415', '617', '206', '303'))}-{rng.randint(234, 987)}-"
                    f"{self._digits(4)}",
            lambda: f"+44 20 7{rng.randint(100, 999)} {self._digits(4)}",
            lambda: f"+49 30 {rng.randint(2000, 9999)} {self._digits(4)}",
            lambda: f"+33 1 {rng.randint(40, 79)} {self._digits(2)} {self._digits(2)} {self._digits(2)}",
            lambda: f"+81 3-{rng.randint(3000, 6999)}-{self._digits(4)}",
            lambda: f"+61 2 {rng.randint(8000, 9999)} {self._digits(4)}",
        )
        return rng.choice(formats)()

    def card(self) -> str:
        rng = self.rng
        # Visa, Mastercard and American Express prefixes and lengths
        prefix, length = rng.choice((("4", 16), (str(rng.randint(51, 55)), 16),
                                     (rng.choice(("34", "37")), 15)))
        body = prefix + self._digits(length - len(prefix) - 1)
        check = next(str(d) for d in range(10) if luhn_valid(body + str(d)))
        number = body + check
        groups = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
        parts, start = [], 0
        for g in groups:
            parts.append(number[start:start + g])
            start += g
        return rng.choice((" ", "-")).join(parts)

    def iban(self) -> str:
        rng = self.rng
        def letters(n: int) -> str:
            return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))

        country, rest = rng.choice((  # national BBAN layouts (ISO 13616 registry)
            lambda: ("DE", self._digits(18)),
            lambda: ("GB", letters(4) + self._digits(14)),
            lambda: ("FR", self._digits(23)),
            lambda: ("NL", letters(4) + self._digits(10)),
        ))()
        check = 98 - int("".join(str(int(c, 36)) for c in rest + country + "00")) % 97
        iban = f"{country}{check:02d}{rest}"
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))

    def ssn(self) -> str:
        area = self.rng.choice([a for a in range(1, 900) if a != 666])
        return f"{area:03d}-{self.rng.randint(1, 99):02d}-{self.rng.randint(1, 9999):04d}"

    def ipv4(self) -> str:
        rng = self.rng
        return f"{rng.choice((23, 45, 62, 81, 91, 104, 151, 185, 203))}.{rng.randint(0, 255)}." \
               f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def ipv6(self) -> str:
        groups = [self.rng.choice(("2a02", "2001", "2600", "2c0f"))] + [
            f"{self.rng.randint(0, 0xFFFF):x}" for _ in range(7)]
        return ":".join(groups)

    def address(self) -> str:
        city, state, zip3 = self.rng.choice(US_CITIES)  # ZIP codes start with the city's 3-digit prefix
        suffix = self.rng.choice(("Street", "Avenue", "Road", "Lane", "Drive"))
        return f"{self.rng.randint(2, 9800)} {self.rng.choice(STREETS)} {suffix}, {city}, {state} " \
               f"{zip3:03d}{self.rng.randint(1, 99):02d}"

    def plant(self, template: str) -> tuple[str, list[PiiValue]]:
        """`template` with each {SLOT} replaced by a fresh value, and the values planted."""
        planted: list[PiiValue] = []

        def fill(m: re.Match) -> str:
            kind, make = self.makers[m.group(1)]
            planted.append(PiiValue(kind, make()))
            return planted[-1].value

        return re.sub(r"\{(\w+)\}", fill, template), planted


# --------------------------------------------------------------------------------------------------
# Math
# --------------------------------------------------------------------------------------------------

FORMULAS = (
    r"e^{i\pi} + 1 = 0", r"a^2 + b^2 = c^2", r"\int_0^\infty e^{-x^2}\,dx = \frac{\sqrt{\pi}}{2}",
    r"\sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}",
    r"\nabla \cdot \mathbf{E} = \frac{\rho}{\varepsilon_0}",
    r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}", r"f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}",
    r"\binom{n}{k} = \frac{n!}{k!\,(n-k)!}", r"P(A \mid B) = \frac{P(B \mid A)\,P(A)}{P(B)}",
    r"\det(A - \lambda I) = 0", r"\oint_{\partial S} \mathbf{B} \cdot d\mathbf{l} = \mu_0 I",
    r"E = mc^2", r"\mathbb{E}[X] = \sum_{i} x_i\, p_i", r"\sigma^2 = \frac{1}{N}\sum_{i=1}^{N} (x_i - \mu)^2",
    r"\zeta(s) = \prod_{p} \frac{1}{1 - p^{-s}}",
    r"\hat{f}(\xi) = \int_{-\infty}^{\infty} f(x)\, e^{-2\pi i x \xi}\,dx",
    r"\|x\|_2 = \sqrt{\sum_{i=1}^{n} x_i^2}", r"\frac{\partial u}{\partial t} = \alpha \nabla^2 u",
    r"\log(xy) = \log x + \log y", r"\sin^2\theta + \cos^2\theta = 1", r"A = \pi r^2",
    r"\gcd(a, b) = \gcd(b, a \bmod b)", r"F_{n} = F_{n-1} + F_{n-2}", r"\lim_{n\to\infty} (1 + 1/n)^n = e",
)
MATH_SENTENCES = (
    "Recall the identity {f}, which we will use repeatedly.",
    "Using the relation {f}, the remaining terms cancel.",
    "It follows that {f} holds in this setting as well.",
    "The proof rests on a single observation, namely {f}.",
    "A quick numerical check confirms {f} to several decimal places.",
    "Students often first meet the formula {f} in an introductory course.",
)
_GREEK = {"alpha": "α", "beta": "β", "lambda": "λ", "pi": "π", "rho": "ρ", "sigma": "σ", "theta": "θ",
          "xi": "ξ", "zeta": "ζ", "mu": "μ", "varepsilon": "ε", "partial": "∂", "nabla": "∇", "infty": "∞",
          "sum": "∑", "int": "∫", "oint": "∮", "prod": "∏", "pm": "±", "cdot": "⋅", "to": "→", "mid": "∣"}


def _math_tokens(latex: str) -> list[tuple[str, str]]:
    """(MathML element, text) per visible token: a crude rendering, enough for fallback markup."""
    out = []
    for tok in re.findall(r"\\[A-Za-z]+|[A-Za-z]|\d+|[^\s{}\\_^]", latex):
        if tok.startswith("\\"):
            if tok[1:] in _GREEK:
                out.append(("mi", _GREEK[tok[1:]]))
        elif tok.isdigit():
            out.append(("mn", tok))
        else:
            out.append(("mi" if tok.isalpha() else "mo", tok))
    return out


def _mathml(latex: str, display: bool, annotate: bool, alttext: str | None = None) -> str:
    mrow = "<mrow>" + "".join(f"<{el}>{html.escape(t)}</{el}>" for el, t in _math_tokens(latex)) + "</mrow>"
    if annotate:
        tex = f'<annotation encoding="application/x-tex">{html.escape(latex)}</annotation>'
        mrow = f"<semantics>{mrow}{tex}</semantics>"
    alt = f' alttext="{html.escape(alttext)}"' if alttext is not None else ""
    mode = "block" if display else "inline"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}"{alt}>{mrow}</math>'


# Scripts and styles the head of a page using each rendering loads.
MATH_HEAD = {
    "mathjax_script": '<script src="https://cdn.jsdelivr.net/npm/mathjax@2.7.9/MathJax.js?config=TeX-AMS_HTML">'
                      "</script>",
    "tex_delimiters": '<script id="MathJax-script" async '
                      'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
    "katex": '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.css">',
    "sphinx_imgmath": '<link rel="stylesheet" href="_static/pygments.css" type="text/css">',
}


def _katex(latex: str, display: bool) -> str:
    visible = "".join(f'<span class="mord">{html.escape(t)}</span>' for _, t in _math_tokens(latex))
    katex = (f'<span class="katex"><span class="katex-mathml">{_mathml(latex, display, True)}</span>'
             f'<span class="katex-html" aria-hidden="true"><span class="base">{visible}</span></span></span>')
    return f'<span class="katex-display">{katex}</span>' if display else katex


def _sphinx_imgmath(latex: str, display: bool) -> str:
    img = f'<img src="_images/math/{hashlib.sha1(latex.encode()).hexdigest()}.png" alt="{html.escape(latex)}"'
    return f'<div class="math"><p>{img}/></p></div>' if display else f'{img} class="math"/>'


def _wikipedia(latex: str, display: bool) -> str:
    wrapped = "{\\displaystyle " + latex + "}"
    mode = "display" if display else "inline"
    digest = hashlib.sha1(latex.encode()).hexdigest()
    return (f'<span class="mwe-math-element"><span class="mwe-math-mathml-{mode} mwe-math-mathml-a11y" '
            f'style="display: none;">{_mathml(wrapped, display, True, wrapped)}</span>'
            f'<img src="https://wikimedia.org/api/rest_v1/media/math/render/svg/{digest}" '
            f'class="mwe-math-fallback-image-{mode}" aria-hidden="true" alt="{html.escape(wrapped)}"></span>')


# How each family of sites publishes a formula: (latex, display) -> HTML.
MATH_RENDERERS: dict[str, Callable[[str, bool], str]] = {
    "mathjax_script": lambda t, d: f'<script type="math/tex{"; mode=display" if d else ""}">{t}</script>',
    "tex_delimiters": lambda t, d: rf"\[{html.escape(t)}\]" if d else rf"\({html.escape(t)}\)",
    "dollars": lambda t, d: f"$${html.escape(t)}$$" if d else f"${html.escape(t)}$",
    "katex": _katex,
    "mathml_annotation": lambda t, d: _mathml(t, d, annotate=True),
    "mathml_alttext": lambda t, d: _mathml(t, d, annotate=False, alttext=t),
    "codecogs": lambda t, d: f'<img src="https://latex.codecogs.com/png.latex?{quote(t)}" />',
    "wp_latex": lambda t, d: (f'<img src="https://s0.wp.com/latex.php?latex={quote_plus(t)}&amp;bg=ffffff'
                              f'&amp;fg=000000&amp;s=0" alt="{html.escape(t)}" title="{html.escape(t)}" '
                              'class="latex" />'),
    "sphinx_imgmath": _sphinx_imgmath,
    "wikipedia": _wikipedia,
}
MATH_RENDERINGS = tuple(MATH_RENDERERS)


# --------------------------------------------------------------------------------------------------
# Code
# --------------------------------------------------------------------------------------------------

# Snippets with @FN@ (a function name) and @N@ (a number) varied per page, so that line-level
# dedup does not see the same block on every code page.
SNIPPETS: tuple[tuple[str, str], ...] = (
    ("python", '''def @FN@(items, key=None):
    """Return the items sorted and without duplicates."""
    seen = set()
    result = []
    for item in sorted(items, key=key):
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
'''),
    ("python", '''import json
from pathlib import Path


def @FN@(path: Path, limit: int = @N@) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if len(rows) >= limit:
                break
            rows.append(json.loads(line))
    return rows
'''),
    ("python", '''class LRUCache:
    def __init__(self, capacity=@N@):
        self.capacity = capacity
        self.data = {}

    def @FN@(self, key, value):
        self.data.pop(key, None)
        self.data[key] = value
        if len(self.data) > self.capacity:
            # dicts keep insertion order, so the first key is the oldest
            del self.data[next(iter(self.data))]
'''),
    ("python", '''async def @FN@(session, urls):
    results = {}
    for url in urls:
        async with session.get(url, timeout=@N@) as response:
            if response.status != 200:
                continue
            results[url] = await response.text()
    return results
'''),
    ("javascript", '''function @FN@(list, size = @N@) {
  const chunks = [];
  for (let i = 0; i < list.length; i += size) {
    chunks.push(list.slice(i, i + size));
  }
  return chunks;
}
'''),
    ("javascript", '''const @FN@ = async (id) => {
  const res = await fetch(`/api/items/${id}?limit=@N@`);
  if (!res.ok) {
    throw new Error("request failed: " + res.status);
  }
  return res.json();
};
'''),
    ("bash", '''#!/usr/bin/env bash
set -euo pipefail
# @FN@: keep the newest @N@ backups
for f in $(ls -1t /var/backups/*.tar.gz | tail -n +@N@); do
  echo "removing $f"
  rm -- "$f"
done
'''),
    ("c", '''#include <stdio.h>

static int @FN@(const int *values, int n) {
    int best = values[0];
    for (int i = 1; i < n; i++) {
        if (values[i] > best) {
            best = values[i];
        }
    }
    return best;
}
'''),
    ("rust", '''fn @FN@(words: &[&str]) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for w in words.iter().take(@N@) {
        *counts.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    counts
}
'''),
    ("sql", '''SELECT customer_id, COUNT(*) AS orders, SUM(total) AS revenue
FROM orders
WHERE created_at >= DATE '2023-01-01'
GROUP BY customer_id
HAVING COUNT(*) > @N@
ORDER BY revenue DESC;
'''),
)
FUNCTION_NAMES = ("dedupe_sorted", "load_rows", "put", "fetch_all", "chunk", "get_item", "prune_backups",
                  "max_value", "word_counts", "unique_items", "read_batch", "store", "collect", "split_into",
                  "fetch_item", "rotate", "largest", "tally")
CODE_SENTENCES = (
    "Here is a minimal version of {fn} that you can paste into your own project:",
    "The following snippet shows {fn}; note how the loop exits early.",
    "A reader asked how {fn} works, so here is the full listing:",
    "The implementation of {fn} is short enough to read in one go:",
)
CODE_STYLES = ("plain", "pygments", "table_gutter", "inline_linenos")
KEYWORDS = frozenset((
    "def class return if else elif for while in not and or import from with as async await try except "
    "raise None True False self function const let var new throw fn mut use struct impl pub static int "
    "char void include set then do done SELECT FROM WHERE GROUP BY HAVING ORDER DESC AS AND COUNT SUM DATE"
).split())
_TOKEN = re.compile(r"(?P<c1>#[^\n]*|//[^\n]*)|(?P<s2>\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`)|(?P<mi>\d+)"
                    r"|(?P<n>[A-Za-z_]\w*)|(?P<p>[()\[\]{},;:.])|(?P<o>[^\sA-Za-z_\d])|(?P<w>\s+)")


def _highlight(code: str) -> str:
    """Pygments-style markup: one <span class="..."> per token, whitespace left bare."""
    out, previous = [], ""
    for m in _TOKEN.finditer(code):
        cls, text = m.lastgroup, m.group()
        if cls == "w":
            out.append(text)
            continue
        if cls == "n" and text in KEYWORDS:
            cls = "k"
        elif cls == "n" and previous in ("def", "fn", "function", "class"):
            cls = "nc" if previous == "class" else "nf"
        out.append(f'<span class="{cls}">{html.escape(text)}</span>')
        previous = text
    return "".join(out)


def render_code(code: str, language: str, style: str) -> str:
    """A code block as a site would publish it: plain, highlighted, or highlighted with line numbers."""
    lines = code.rstrip("\n").split("\n")
    if style == "plain":
        return f'<pre><code class="language-{language}">{html.escape(code)}</code></pre>'
    if style == "pygments":
        return f'<div class="highlight-{language} notranslate"><div class="highlight"><pre><span></span>' \
               f"{_highlight(code)}</pre></div></div>"
    if style == "table_gutter":
        numbers = "\n".join(str(i) for i in range(1, len(lines) + 1))
        return (f'<table class="highlighttable"><tr><td class="linenos"><div class="linenodiv"><pre>{numbers}'
                '</pre></div></td><td class="code"><div class="highlight"><pre><span></span>'
                f"{_highlight(code)}</pre></div></td></tr></table>")
    if style == "inline_linenos":
        body = "\n".join(f'<span class="linenos">{i:>2}</span>{_highlight(line)}'
                         for i, line in enumerate(lines, 1))
        return f'<div class="highlight"><pre><span></span>{body}\n</pre></div>'
    raise ValueError(f"unknown code style {style!r}")


# --------------------------------------------------------------------------------------------------
# Sites and page chrome
# --------------------------------------------------------------------------------------------------

MATH_TOPIC = Topic("mathematics", _words("theorem, lemma, proof, integral, matrix, eigenvalue, polynomial,"
                                         " series, prime number, vector space, derivative, distribution,"
                                         " limit, group, graph, function, sequence, inequality, identity"),
                   _words("elementary, rigorous, elegant, classical, finite, convergent, symmetric, linear"),
                   _words("prove, derive, compute, estimate, approximate, generalize, simplify, bound"),
                   _words("the Clay Institute, the Fields Institute, a Cambridge seminar, the AMS"))
ACCENTED_SENTENCES = (  # non-ASCII Latin text that cp1252 and UTF-8 encode differently
    "The café on the corner still serves crème brûlée for €4.50 – a naïve bargain, the owner admits.",
    "Her résumé lists a year in Zürich, a season in São Paulo and a short stint at a Köln pâtisserie.",
    "“It’s not déjà vu,” the señora said, “it’s simply the façade they forgot to repaint.”",
)


@dataclass(frozen=True)
class Site:
    """One web site: its host, look (layout) and URL scheme; pages of a site share boilerplate."""

    host: str
    name: str
    layout: int
    url_pattern: str  # slots: {section} {y} {m} {d} {slug} {id}
    sections: tuple[str, ...]


SITES: tuple[Site, ...] = (
    Site("www.dailyledger-news.com", "The Daily Ledger", 0, "/{section}/{y}/{m}/{slug}-{id}",
         ("world", "business", "science", "health", "sport", "culture", "opinion", "tech", "climate")),
    Site("www.metro-tribune.co.uk", "Metro Tribune", 1, "/news/{section}/{slug}-{id}.html",
         ("uk", "world", "money", "science", "lifestyle", "travel", "sport", "weather")),
    Site("gardenpath.blog", "The Garden Path", 1, "/{y}/{m}/{d}/{slug}/",
         ("vegetables", "flowers", "trees", "tools", "seasons", "about")),
    Site("kitchen-notes.net", "Kitchen Notes", 0, "/recipes/{slug}-{id}/", ("recipes", "techniques", "pantry",
                                                                              "equipment", "about", "shop")),
    Site("starwatcher.org", "Starwatcher", 2, "/articles/{id}/{slug}",
         ("observing", "news", "gear", "events")),
    Site("codebrew.dev", "codebrew", 2, "/posts/{slug}-{id}", ("python", "rust", "web", "devops", "talks")),
    Site("quietcity.io", "Quiet City", 1, "/{y}/{slug}-{id}", ("streets", "housing", "transit", "parks")),
    Site("wiki.openfield.org", "OpenField Wiki", 2, "/wiki/{slug}_{id}", ("main", "portals", "random",
                                                                          "recent", "help", "donate")),
    Site("forum.techtalk.net", "TechTalk Forum", 0, "/t/{slug}/{id}", ("latest", "top", "categories", "faq")),
    Site("mathnotes.university.edu", "Math Notes", 2, "/~notes/{section}/{slug}-{id}.html",
         ("algebra", "analysis", "probability", "geometry", "number-theory")),
    Site("www.health-weekly.com", "Health Weekly", 0, "/{section}/{slug}-{id}", ("conditions", "nutrition",
                                                                                 "fitness", "research")),
    Site("runners-hub.com", "Runners Hub", 1, "/{y}/{m}/{slug}-{id}",
         ("training", "races", "gear", "nutrition")),
)
SPAM_SITE = Site("best-deals-now.xyz", "BEST DEALS NOW", 0, "/{slug}-{id}.html",
                 ("deals", "casino", "pharmacy"))
LOG_SITE = Site("paste.ci-logs.dev", "CI Logs", 2, "/raw/{id}", ("recent", "archive"))
COOKIE_TEXT = ("We use cookies to improve your experience and to show personalised ads. By continuing to "
               'browse you agree to our <a href="/privacy">cookie policy</a>. <button>Accept all</button>')
FOOTER_LINKS = ("About us", "Contact", "Careers", "Advertise", "Privacy policy", "Terms of use",
                "Cookie settings", "Accessibility", "Sitemap", "RSS", "Newsletter", "Help")
LAYOUTS = (
    """<body class="layout-news">
<div id="cookie-banner" class="cookie-consent">{cookie}</div>
<header class="site-header"><a class="logo" href="/">{name}</a>
<nav class="main-nav"><ul>{nav}</ul></nav></header>
<div class="container"><main id="content"><article class="post">
<h1 class="entry-title">{title}</h1>
<div class="byline">By {author} &middot; <time datetime="{iso}">{date}</time></div>
{share}
<div class="entry-content">
{body}
</div></article>
<section id="comments" class="comments"><h2>Comments</h2>{comments}</section></main>
<aside class="sidebar"><h3>Related stories</h3><ul>{related}</ul></aside></div>
<footer class="site-footer"><ul class="footer-links">{footer}</ul>
<p class="copyright">&copy; {year} {name}. All rights reserved.</p></footer>
</body>""",
    """<body>
<div class="topbar"><div class="wrap"><span class="site-title"><a href="/">{name}</a></span>
<ul class="menu">{nav}</ul></div></div>
<div class="gdpr-notice" role="dialog">{cookie}</div>
<div id="page"><div id="primary" class="content-area"><div class="post-header"><h1>{title}</h1>
<p class="meta">Posted on <time datetime="{iso}">{date}</time>
by <span class="author">{author}</span></p></div>
<article class="entry">
{body}
</article>
{share}
<div class="comments-area"><h3 class="comments-title">Join the discussion</h3>
<ol class="comment-list">{comments}</ol></div>
</div>
<div id="secondary" class="widget-area"><section class="widget">
<h2 class="widget-title">You may also like</h2>
<ul>{related}</ul></section></div></div>
<div class="site-info"><nav class="footer-nav"><ul>{footer}</ul></nav>
<p>Copyright &copy; {year} {name} &middot; Powered by WordPress</p></div>
</body>""",
    """<body class="docs">
<div class="cookie-bar">{cookie}</div>
<div class="document"><div class="sphinxsidebar" role="navigation"><h3><a href="/">{name}</a></h3>
<ul class="toctree">{nav}</ul><h3>See also</h3><ul>{related}</ul></div>
<div class="body" role="main"><div class="section" id="main-section">
<h1>{title}</h1>
<p class="last-updated">Last updated <time datetime="{iso}">{date}</time> &middot; {author}</p>
{body}
</div>{share}
<div class="talk"><h2>Talk</h2>{comments}</div></div></div>
<div class="footer" role="contentinfo"><ul>{footer}</ul>&copy; Copyright {year}, {name}.</div>
</body>""",
)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


class Chrome:
    """Wraps an article in a full HTML document: head, nav menus, cookie banner, share bar, related
    links, comments and footer, i.e. the boilerplate an extractor must strip."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def url(self, site: Site, title: str, index: int, when: datetime) -> str:
        path = site.url_pattern.format(section=self.rng.choice(site.sections), y=when.year,
                                       m=f"{when.month:02d}", d=f"{when.day:02d}", slug=_slug(title),
                                       id=100000 + index)
        return f"https://{site.host}{path}"

    def render(self, site: Site, url: str, title: str, body: str, when: datetime, lang: str = "en",
               charset: str = "utf-8", head: str = "", nav: Sequence[str] = ()) -> str:
        rng = self.rng
        writer = ProseWriter(rng, rng.choice(TOPICS))
        labels = list(nav) or [s.replace("-", " ").title() for s in site.sections]
        nav_items = labels + [writer.topic.field.title(), "Newsletter", "Subscribe", "Log in"]
        nav_html = "".join(f'<li><a href="/{_slug(label) or "home"}/">{html.escape(label)}</a></li>'
                           for label in nav_items)
        related = "".join(f'<li><a href="https://{site.host}/{_slug(t)}">{html.escape(t)}</a></li>'
                          for t in (writer.title() for _ in range(rng.randint(4, 8))))
        footer = "".join(f'<li><a href="/{_slug(label)}">{label}</a></li>' for label in FOOTER_LINKS)
        comments = "".join(
            f'<div class="comment"><span class="comment-author">{writer.person()}</span> '
            '<span class="comment-date">'
            f'{(when + timedelta(hours=rng.randint(1, 400))).strftime("%d %b %Y")}</span>'
            f"<p>{html.escape(rng.choice(COMMENTS))}</p></div>" for _ in range(rng.randint(0, 5)))
        share = (f'<div class="share-bar"><span>Share this:</span> '
                 f'<a href="https://twitter.com/intent/tweet?url={quote_plus(url)}">X</a> '
                 f'<a href="https://www.facebook.com/sharer/sharer.php?u={quote_plus(url)}">Facebook</a> '
                 f'<a href="https://www.linkedin.com/shareArticle?url={quote_plus(url)}">LinkedIn</a> '
                 f'<a href="mailto:?subject={quote(title)}">Email</a></div>')
        page = LAYOUTS[site.layout].format(
            cookie=COOKIE_TEXT, name=html.escape(site.name), nav=nav_html, title=html.escape(title),
            author=writer.person(), iso=when.strftime("%Y-%m-%dT%H:%M:%SZ"), date=when.strftime("%B %d, %Y"),
            share=share, body=body, comments=comments, related=related, footer=footer, year=when.year)
        return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{charset}">\n'
                f"<title>{html.escape(title)} | {html.escape(site.name)}</title>\n"
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f'<link rel="canonical" href="{html.escape(url)}">\n'
                f'<link rel="stylesheet" href="/static/css/main.css?v={rng.randint(100, 999)}">\n'
                f"{head}</head>\n"
                f"{page}\n</html>\n")


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One HTTP response to write: its body bytes plus the truth of what was planted in it."""

    kind: str
    url: str
    title: str
    body: bytes
    text: str  # the main text a perfect extractor would return (math as $...$, code fenced)
    when: datetime
    content_type: str = "text/html"
    charset: str | None = "utf-8"
    declared_charset: str | None = "utf-8"
    status_line: str = "HTTP/1.1 200 OK"
    lang: str = "en"
    original_index: int | None = None
    edit_rate: float | None = None
    math_rendering: str | None = None
    latex: tuple[str, ...] = ()
    code_style: str | None = None
    code: tuple[str, ...] = ()
    pii: tuple[PiiValue, ...] = ()
    expected_error: str | None = None


@dataclass(frozen=True)
class Slot:
    """A planned page: its kind, its rank among pages of that kind, and the page it copies (dups)."""

    kind: str
    ordinal: int
    original: int | None = None


def plan_corpus(pages: int, seed: int) -> list[Slot]:
    """Kinds of the `pages` good pages, in a seeded shuffle; duplicates point at distinct articles."""
    if pages < 0:
        raise ValueError(f"pages must be >= 0, got {pages}")
    counts = {kind: round(share * pages) for kind, share in KIND_SHARES.items()}
    articles = pages - sum(counts.values())
    if articles < counts["exact_dup"] + counts["near_dup"]:
        raise ValueError(f"{pages} pages leave too few articles to duplicate")
    kinds = ["article"] * articles + [k for k, n in counts.items() for _ in range(n)]
    rng = random.Random(f"{seed}:plan")
    rng.shuffle(kinds)
    article_indices = [i for i, k in enumerate(kinds) if k == "article"]
    originals = iter(rng.sample(article_indices, counts["exact_dup"] + counts["near_dup"]))
    seen: Counter[str] = Counter()
    slots = []
    for kind in kinds:
        slots.append(Slot(kind, seen[kind], next(originals) if kind.endswith("_dup") else None))
        seen[kind] += 1
    return slots


def _paragraphs_html(paragraphs: Sequence[str]) -> str:
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _edit_words(rng: random.Random, paragraphs: Sequence[str], rate: float,
                vocabulary: Sequence[str]) -> list[str]:
    """Replaces round(rate * words) randomly chosen words, keeping paragraph breaks."""
    split = [p.split(" ") for p in paragraphs]
    positions = [(i, j) for i, words in enumerate(split) for j in range(len(words))]
    for i, j in rng.sample(positions, round(rate * len(positions))):
        split[i][j] = rng.choice([w for w in vocabulary if w != split[i][j]])
    return [" ".join(words) for words in split]


@dataclass(frozen=True)
class ArticleParts:
    """The content of an article before it is dressed as a page (kept to derive near duplicates)."""

    topic: Topic
    title: str
    paragraphs: tuple[str, ...]


class PageFactory:
    """Builds the page for any slot of a plan; page i depends only on (seed, i), so duplicates can
    rebuild their original instead of keeping pages in memory."""

    def __init__(self, seed: int, plan: Sequence[Slot]) -> None:
        self.seed = seed
        self.plan = plan
        self.builders: dict[str, Callable[[random.Random, int, Slot], Page]] = {
            "article": self.article, "math": self.math, "code": self.code, "pii": self.pii,
            "exact_dup": self.exact_dup, "near_dup": self.near_dup, "spam": self.spam,
            "keyword_stuffed": self.keyword_stuffed, "log_dump": self.log_dump,
            "other_language": self.other_language,
        }

    def rng(self, index: int) -> random.Random:
        return random.Random(f"{self.seed}:page:{index}")

    @staticmethod
    def when(index: int) -> datetime:
        return CRAWL_START + timedelta(seconds=17 * index)

    def build(self, index: int) -> Page:
        slot = self.plan[index]
        return self.builders[slot.kind](self.rng(index), index, slot)

    def _page(self, rng: random.Random, index: int, kind: str, title: str, body: str, text: str,
              site: Site | None = None, charset: str = "utf-8", encoding: str | None = None,
              head: str = "", nav: Sequence[str] = (), lang: str = "en", **truth) -> Page:
        """Dresses `body` in a site's chrome. `charset` is declared, `encoding` (default: the same) used;
        `truth` holds the remaining Page fields."""
        site = site or rng.choice(SITES)
        when = self.when(index)
        chrome = Chrome(rng)
        url = chrome.url(site, title, index, when)
        document = chrome.render(site, url, title, body, when, lang, charset, head, nav)
        encoding = encoding or charset
        return Page(kind, url, title, document.encode(encoding), text, when, charset=encoding,
                    declared_charset=charset, lang=lang, **truth)

    @staticmethod
    def _article_parts(rng: random.Random) -> ArticleParts:
        writer = ProseWriter(rng, rng.choice(TOPICS))
        return ArticleParts(writer.topic, writer.title(), tuple(writer.paragraphs(rng.randint(150, 800))))

    def article(self, rng: random.Random, index: int, slot: Slot) -> Page:
        parts = self._article_parts(rng)
        # Some sites still serve windows-1252 (declared correctly); the smart quotes survive it.
        charset = "windows-1252" if rng.random() < 0.08 else "utf-8"
        return self._page(rng, index, "article", parts.title, _paragraphs_html(parts.paragraphs),
                          "\n\n".join(parts.paragraphs), charset=charset)

    def exact_dup(self, rng: random.Random, index: int, slot: Slot) -> Page:
        assert slot.original is not None
        original = self.article(self.rng(slot.original), slot.original, self.plan[slot.original])
        site = rng.choice(SITES)
        url = Chrome(rng).url(site, original.title, index, self.when(index))
        return replace(original, kind="exact_dup", url=url, when=self.when(index),
                       original_index=slot.original)

    def near_dup(self, rng: random.Random, index: int, slot: Slot) -> Page:
        assert slot.original is not None
        parts = self._article_parts(self.rng(slot.original))
        rate = NEAR_DUP_EDIT_RATES[slot.ordinal % len(NEAR_DUP_EDIT_RATES)]
        words = parts.topic.nouns + parts.topic.adjectives + parts.topic.verbs + GENERIC_ADJECTIVES
        vocabulary = [w for w in words if " " not in w]  # one word for one, so the edit rate is exact
        paragraphs = _edit_words(rng, parts.paragraphs, rate, vocabulary)
        return self._page(rng, index, "near_dup", parts.title, _paragraphs_html(paragraphs),
                          "\n\n".join(paragraphs), original_index=slot.original, edit_rate=rate)

    def math(self, rng: random.Random, index: int, slot: Slot) -> Page:
        rendering = MATH_RENDERINGS[slot.ordinal % len(MATH_RENDERINGS)]
        render = MATH_RENDERERS[rendering]
        writer = ProseWriter(rng, MATH_TOPIC)
        blocks_html, blocks_text, latex = [], [], []
        for formula in rng.sample(FORMULAS, rng.randint(3, 6)):
            latex.append(formula)
            paragraph = writer.paragraph()
            if rng.random() < 0.5:
                before, after = rng.choice(MATH_SENTENCES).split("{f}")
                blocks_html.append(f"<p>{html.escape(f'{paragraph} {before}', quote=False)}"
                                   f"{render(formula, False)}{html.escape(after, quote=False)}</p>")
                blocks_text.append(f"{paragraph} {before}${formula}${after}")
            else:
                blocks_html += [f"<p>{html.escape(paragraph, quote=False)}</p>",
                                render(formula, True)]
                blocks_text += [paragraph, f"$${formula}$$"]
        return self._page(rng, index, "math", writer.title(), "\n".join(blocks_html),
                          "\n\n".join(blocks_text),
                          site=rng.choice(SITES[4:10]), math_rendering=rendering, latex=tuple(latex),
                          head=MATH_HEAD.get(rendering, ""))

    def code(self, rng: random.Random, index: int, slot: Slot) -> Page:
        style = CODE_STYLES[slot.ordinal % len(CODE_STYLES)]
        writer = ProseWriter(rng, TOPICS[5])
        blocks_html, blocks_text, codes = [], [], []
        for language, template in rng.sample(SNIPPETS, rng.randint(1, 3)):
            fn = rng.choice(FUNCTION_NAMES)
            code = template.replace("@FN@", fn).replace("@N@", str(rng.randint(2, 512)))
            before, after = rng.choice(CODE_SENTENCES).split("{fn}")
            paragraph = writer.paragraph()
            codes.append(code)
            blocks_html += [f"<p>{html.escape(paragraph, quote=False)}</p>",
                            f"<p>{html.escape(before)}<code>{fn}</code>{html.escape(after)}</p>",
                            render_code(code, language, style)]
            blocks_text += [paragraph, f"{before}{fn}{after}", f"```{language}\n{code}```"]
        return self._page(rng, index, "code", writer.title(), "\n".join(blocks_html),
                          "\n\n".join(blocks_text),
                          site=rng.choice(SITES[4:10]), code_style=style, code=tuple(codes))

    def pii(self, rng: random.Random, index: int, slot: Slot) -> Page:
        parts = self._article_parts(rng)
        paragraphs = list(parts.paragraphs)
        factory, planted = PiiFactory(rng), []
        for template in rng.sample(PII_SENTENCES, rng.randint(3, 6)):
            sentence, values = factory.plant(template)
            planted += values
            at = rng.randrange(len(paragraphs))
            paragraphs[at] = f"{paragraphs[at]} {sentence}"
        return self._page(rng, index, "pii", parts.title, _paragraphs_html(paragraphs),
                          "\n\n".join(paragraphs),
                          pii=tuple(planted))

    def spam(self, rng: random.Random, index: int, slot: Slot) -> Page:
        anchors = [rng.choice(SPAM_ANCHORS) for _ in range(rng.randint(60, 150))]
        links = "\n".join(f'<li><a href="http://{rng.choice(SPAM_HOSTS)}/go?id={rng.randint(1000, 99999)}">'
                          f"{html.escape(a)}</a></li>" for a in anchors)
        title = f"{rng.choice(SPAM_ANCHORS).upper()} !!! {rng.choice(SPAM_ANCHORS)}"
        intro = "Best prices online!!! CLICK HERE NOW. Limited offer, 100% guaranteed, no prescription!"
        return self._page(rng, index, "spam", title, f"<p>{intro}</p>\n<ul class=\"links\">\n{links}\n</ul>",
                          "\n".join([intro, *anchors]), site=SPAM_SITE)

    def keyword_stuffed(self, rng: random.Random, index: int, slot: Slot) -> Page:
        keywords = STUFFED_KEYWORDS[slot.ordinal % len(STUFFED_KEYWORDS)]
        paragraphs = [" ".join(rng.choice(keywords) for _ in range(rng.randint(40, 80)))
                      for _ in range(rng.randint(5, 9))]
        title = " | ".join(k.title() for k in keywords)
        head = f'<meta name="keywords" content="{", ".join(keywords * 10)}">\n'
        return self._page(rng, index, "keyword_stuffed", title, _paragraphs_html(paragraphs),
                          "\n\n".join(paragraphs), site=SPAM_SITE, head=head)

    def log_dump(self, rng: random.Random, index: int, slot: Slot) -> Page:
        t = self.when(index) - timedelta(hours=6)
        lines = []
        for _ in range(rng.randint(1000, 2500)):
            t += timedelta(milliseconds=rng.randint(1, 900))
            lines.append(f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond // 1000:03d}Z "
                         f"{rng.choice(LOG_LEVELS):<5} [worker-{rng.randint(1, 8)}] "
                         f"request_id={rng.getrandbits(48):012x} GET {rng.choice(LOG_PATHS)} "
                         f"{rng.choice((200, 200, 200, 304, 404, 500))} {rng.randint(1, 900)}ms")
        text = "\n".join(lines)
        return self._page(rng, index, "log_dump", f"build-{rng.randint(1000, 9999)}.log",
                          f"<pre>{html.escape(text)}</pre>", text, site=LOG_SITE)

    def other_language(self, rng: random.Random, index: int, slot: Slot) -> Page:
        language = LANGUAGES[slot.ordinal % len(LANGUAGES)]
        chosen = rng.sample(language.sentences, rng.randint(6, 9))
        joiner = "" if language.code in ("zh", "ja") else " "
        cut = sorted(rng.sample(range(1, len(chosen)), 2))
        paragraphs = [joiner.join(chosen[a:b]) for a, b in zip([0, *cut], [*cut, len(chosen)], strict=True)]
        return self._page(rng, index, "other_language", rng.choice(language.titles),
                          _paragraphs_html(paragraphs),
                          "\n\n".join(paragraphs), lang=language.code, nav=language.nav)

    def wrong_charset(self, rng: random.Random, index: int, declared: str, actual: str) -> Page:
        """An article whose bytes are in `actual` while headers and <meta> claim `declared`."""
        parts = self._article_parts(rng)
        paragraphs = [f"{p} {s}" for p, s in zip(parts.paragraphs, ACCENTED_SENTENCES, strict=False)]
        paragraphs += parts.paragraphs[len(paragraphs):]
        return self._page(rng, index, "wrong_charset", parts.title, _paragraphs_html(paragraphs),
                          "\n\n".join(paragraphs), charset=declared, encoding=actual)


def _png(rng: random.Random, size: int = 16) -> bytes:
    """A valid RGB PNG image (a random-colour gradient)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    r, g, b = rng.randrange(256), rng.randrange(256), rng.randrange(256)
    rows = b"".join(b"\x00" + bytes(c for x in range(size) for c in ((r + 8 * x) % 256, (g + 8 * y) % 256, b))
                    for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + \
        chunk(b"IEND", b"")


def broken_pages(factory: PageFactory, first_index: int) -> list[Page]:
    """The records of broken.warc.gz, in order; the last one is written truncated."""
    def rng(j: int) -> random.Random:
        return random.Random(f"{factory.seed}:broken:{j}")

    def article(j: int) -> Page:
        return factory.article(rng(j), first_index + j, Slot("article", j))

    bad_headers = replace(article(0), kind="broken_http_headers", expected_error="bad_http_headers",
                          status_line="HTTP/1.1 2OO BAD\x00\x01 STATUS")
    png = replace(article(1), kind="broken_binary_image", body=_png(rng(1)), text="", title="",
                  content_type="image/png", charset=None, declared_charset=None, expected_error="binary_body")
    noise = rng(2).randbytes(4096)
    random_html = replace(article(2), kind="broken_binary_html", body=noise, text="", title="",
                          expected_error="binary_body")
    return [
        bad_headers, png, random_html,
        factory.wrong_charset(rng(3), first_index + 3, declared="utf-8", actual="windows-1252"),
        factory.wrong_charset(rng(4), first_index + 4, declared="iso-8859-1", actual="utf-8"),
        replace(article(5), kind="broken_truncated", expected_error="truncated_gzip"),
    ]


# --------------------------------------------------------------------------------------------------
# WARC writing
# --------------------------------------------------------------------------------------------------


def record_id(seed: int, role: str, n: int) -> str:
    """A WARC-Record-ID derived from the seed only (a version-4 shaped UUID from SHA-256)."""
    digest = hashlib.sha256(f"{seed}/{role}/{n}".encode()).digest()[:16]
    return f"<urn:uuid:{uuid.UUID(bytes=digest, version=4)}>"


def _sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _warc_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def http_request(url: str) -> bytes:
    """The GET request Common Crawl's crawler sends for `url`."""
    _, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return (f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\n"
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: br,gzip\r\n"
            "Connection: Keep-Alive\r\n\r\n").encode()


def http_response(page: Page) -> bytes:
    """Status line, headers and body; the charset goes in Content-Type as servers send it."""
    content_type = page.content_type + (f"; charset={page.declared_charset}" if page.declared_charset else "")
    head = (f"{page.status_line}\r\nDate: {page.when.strftime(_RFC1123)}\r\nServer: nginx/1.24.0\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(page.body)}\r\n"
            "Cache-Control: max-age=600\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + page.body


class WarcWriter:
    """Writes WARC/1.0 records to a binary stream, each record its own gzip member (as Common Crawl does,
    so readers can seek to a record), starting with a warcinfo record."""

    def __init__(self, stream, filename: str, warcinfo_id: str, when: datetime) -> None:
        self.stream = stream
        self.warcinfo_id = warcinfo_id
        info = (b"software: pretrain-curator sample_corpus\r\nformat: WARC File Format 1.0\r\n"
                b"conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\r\n"
                b"isPartOf: sample-corpus\r\ndescription: deterministic sample crawl\r\n")
        self.write("warcinfo", warcinfo_id, when, [("Content-Type", "application/warc-fields"),
                                                   ("WARC-Filename", filename)], info)

    def write(self, warc_type: str, rid: str, when: datetime, headers: list[tuple[str, str]], block: bytes,
              truncate: bool = False) -> int:
        """Appends one record and returns the byte offset of its gzip member; `truncate` keeps half of it."""
        lines = [("WARC-Type", warc_type), ("WARC-Date", _warc_date(when)), ("WARC-Record-ID", rid),
                 ("Content-Length", str(len(block))), *headers]
        head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in lines) + "\r\n"
        record = head.encode() + block + b"\r\n\r\n"
        member = gzip.compress(record, mtime=0)
        offset = self.stream.tell()
        self.stream.write(member[: len(member) // 2] if truncate else member)
        return offset

    def exchange(self, page: Page, request_id: str, response_id: str, truncate: bool = False) -> int:
        """Writes the request and response records of one fetch; returns the response's offset."""
        common = [("WARC-Warcinfo-ID", self.warcinfo_id), ("WARC-Target-URI", page.url)]
        self.write("request", request_id, page.when, [("Content-Type", "application/http; msgtype=request"),
                                                      *common], http_request(page.url))
        response = http_response(page)
        return self.write("response", response_id, page.when, [
            ("Content-Type", "application/http; msgtype=response"), *common,
            ("WARC-Concurrent-To", request_id), ("WARC-IP-Address", "192.0.2.10"),
            ("WARC-Payload-Digest", _sha1(page.body)), ("WARC-Block-Digest", _sha1(response)),
            ("WARC-Identified-Payload-Type", page.content_type)], response, truncate)


def _truth(page: Page, rid: str, file: str, offset: int, original_id: str | None) -> RecordTruth:
    return RecordTruth(
        record_id=rid, url=page.url, kind=page.kind, file=file, offset=offset, title=page.title,
        lang=page.lang, charset=page.charset or "", declared_charset=page.declared_charset or "",
        original_id=original_id,
        edit_rate=page.edit_rate, math_rendering=page.math_rendering, latex=page.latex,
        code_style=page.code_style, code=page.code, pii=page.pii, expected_error=page.expected_error)


def _original_id(seed: int, page: Page) -> str | None:
    return None if page.original_index is None else record_id(seed, "response", page.original_index)


def generate(out_dir: str, pages: int = 300, seed: int = 0, files: int = 2) -> SampleTruth:
    """Writes sample-NNNNN.warc.gz (the `pages` good pages split over `files` files), broken.warc.gz and
    truth.json into `out_dir`; returns the truth. Pages are built one at a time (bounded memory)."""
    if files < 1:
        raise ValueError(f"files must be >= 1, got {files}")
    os.makedirs(out_dir, exist_ok=True)
    plan = plan_corpus(pages, seed)
    factory = PageFactory(seed, plan)
    records: list[RecordTruth] = []
    names = [f"sample-{f:05d}.warc.gz" for f in range(files)] + ["broken.warc.gz"]
    for f, name in enumerate(names[:-1]):
        lo, hi = f * pages // files, (f + 1) * pages // files
        with open(os.path.join(out_dir, name), "wb") as stream:
            writer = WarcWriter(stream, name, record_id(seed, "warcinfo", f), factory.when(lo))
            for i in range(lo, hi):
                page = factory.build(i)
                rid = record_id(seed, "response", i)
                offset = writer.exchange(page, record_id(seed, "request", i), rid)
                records.append(_truth(page, rid, name, offset, _original_id(seed, page)))
    broken = broken_pages(factory, pages)
    with open(os.path.join(out_dir, names[-1]), "wb") as stream:
        writer = WarcWriter(stream, names[-1], record_id(seed, "warcinfo", files), broken[0].when)
        for j, page in enumerate(broken):
            rid = record_id(seed, "broken-response", j)
            last = j == len(broken) - 1
            offset = writer.exchange(page, record_id(seed, "broken-request", j), rid, truncate=last)
            records.append(_truth(page, rid, names[-1], offset, None))
    truth = SampleTruth(seed, pages, tuple(names), tuple(records))
    truth.save(os.path.join(out_dir, "truth.json"))
    return truth


# --------------------------------------------------------------------------------------------------
# Text dumps (JSONL, Parquet)
# --------------------------------------------------------------------------------------------------

# Lines no JSONL reader should accept, with the error kind a reader must report.
BROKEN_JSONL_LINES: tuple[tuple[bytes, str, str], ...] = (
    (b'{"id": "broken-json", "text": "an unterminated string', "broken_json", "invalid_json"),
    (b'{"id": "broken-missing-text", "url": "https://example.org/x", "body": "no text field here"}',
     "broken_missing_text", "missing_text_field"),
    (b'{"id": "broken-bytes", "text": "caf\xe9 \xff\xfe undecodable"}', "broken_encoding",
     "undecodable_bytes"),
)


@dataclass(frozen=True)
class DumpFields:
    """Column / key names of a text dump (datasets name them differently: id, text, url, content...)."""

    id: str = "id"
    text: str = "text"
    url: str = "url"


def _dump_pages(pages: int, seed: int) -> Iterator[tuple[Page, str]]:
    plan = plan_corpus(pages, seed)
    factory = PageFactory(seed, plan)
    for i in range(pages):
        yield factory.build(i), record_id(seed, "response", i)


def _dump_truth(page: Page, rid: str, file: str, row: int, seed: int) -> RecordTruth:
    return replace(_truth(page, rid, file, row, _original_id(seed, page)), charset="utf-8",
                   declared_charset="utf-8")


def write_jsonl(path: str, pages: int = 50, seed: int = 0, fields: DumpFields = DumpFields(),
                broken: bool = True) -> SampleTruth:
    """Writes the sample pages' text as JSON lines (gzip-compressed when `path` ends in .gz); with `broken`
    the lines of BROKEN_JSONL_LINES are mixed in. Truth offsets are 0-based line numbers."""
    records: list[RecordTruth] = []
    bad = list(BROKEN_JSONL_LINES) if broken else []
    name = os.path.basename(path)
    with open(path, "wb") as raw:
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if path.endswith(".gz") else raw
        line = 0
        for i, (page, rid) in enumerate(_dump_pages(pages, seed)):
            if bad and i % 7 == 3:  # spread the broken lines out instead of bunching them at the end
                data, kind, error = bad.pop(0)
                out.write(data + b"\n")
                line_id = data.split(b'"')[3].decode()
                records.append(RecordTruth(line_id, "", kind, name, line, expected_error=error))
                line += 1
            obj = {fields.id: rid, fields.url: page.url, fields.text: page.text}
            out.write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")
            records.append(_dump_truth(page, rid, name, line, seed))
            line += 1
        if out is not raw:
            out.close()
    return SampleTruth(seed, pages, (name,), tuple(records))


def write_parquet(path: str, pages: int = 50, seed: int = 0, fields: DumpFields = DumpFields(),
                  batch_rows: int = 1000) -> SampleTruth:
    """Writes the sample pages' text as a Parquet file (string columns named by `fields`), in row
    groups of `batch_rows`. Truth offsets are row numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(fields.id, pa.string()), (fields.url, pa.string()), (fields.text, pa.string())])
    name = os.path.basename(path)
    records: list[RecordTruth] = []
    batch: list[Page] = []
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        def flush() -> None:
            ids = [r.record_id for r in records[-len(batch):]]
            columns = [ids, [p.url for p in batch], [p.text for p in batch]]
            writer.write_table(pa.table(columns, schema=schema))
            batch.clear()

        for row, (page, rid) in enumerate(_dump_pages(pages, seed)):
            batch.append(page)
            records.append(_dump_truth(page, rid, name, row, seed))
            if len(batch) == batch_rows:
                flush()
        if batch:
            flush()
    return SampleTruth(seed, pages, (name,), tuple(records))


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tools.sample_corpus --output DIR --pages N --seed S [--files F] [--dumps]`."""
    parser = argparse.ArgumentParser(prog="curate sample", description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="directory to write the WARC files and truth.json to")
    parser.add_argument("--pages", type=int, default=300, help="number of good pages (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--files", type=int, default=2,
                        help="number of sample-NNNNN.warc.gz files (default 2)")
    parser.add_argument("--dumps", action="store_true",
                        help="also write the pages' text as sample.jsonl.gz and sample.parquet")
    args = parser.parse_args(argv)
    truth = generate(args.output, args.pages, args.seed, args.files)
    if args.dumps:
        write_jsonl(os.path.join(args.output, "sample.jsonl.gz"), args.pages, args.seed)
        write_parquet(os.path.join(args.output, "sample.parquet"), args.pages, args.seed)
    total = sum(os.path.getsize(os.path.join(args.output, n)) for n in os.listdir(args.output))
    print(f"wrote {len(truth.records)} response records ({args.pages} pages + broken) to {args.output} "
          f"({total / 1e6:.2f} MB)")
    for kind, n in truth.count_by_kind().items():
        print(f"  {kind:<22} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
