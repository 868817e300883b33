"""Config models, validated on load: configs/default.yaml, then --config FILE, then --set overrides.

Every error is one line naming the key path, e.g. `config error: output.shard_max_rows: ...`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


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
    max_html_bytes: int = Field(8 * 2**20, ge=2**10)
    time_budget_s: float = Field(5.0, gt=0)


class TokensConfig(Section):
    tokenizer: str = "regex"


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
