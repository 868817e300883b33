"""Finds the rule-deciding stages (every `SignalFilter` subclass in `filters/`, `classifiers/` and the
config's `plugins`) and loads configs that validate their sections.

Discovery is importing: defining a `SignalFilter` subclass registers its settings model. Nothing else
lists the filters, so adding one is one module plus its entry in configs/default.yaml.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from pipeline.stage import SignalFilter
from pipeline.text import TextViews
from schemas.config import Config, ConfigError, merge_sources, validate

BUILTIN_PACKAGES = ("filters", "classifiers")


def discover(plugins: Iterable[str] = ()) -> None:
    """Imports every module of the built-in stage packages, then each plugin module by dotted name."""
    for package_name in BUILTIN_PACKAGES:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            importlib.import_module(f"{package_name}.{info.name}")
    for name in plugins:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"config error: plugins: cannot import {name!r}: {exc}") from None


def stage_classes(section: str) -> dict[str, type[SignalFilter]]:
    """The registered stage classes of a config section ("filters" or "classifiers"), by name."""
    found: dict[str, type[SignalFilter]] = {}
    pending = list(SignalFilter.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.name and cls.section == section and "Settings" in cls.__dict__:
            found[cls.name] = cls
    return found


def load_config(path: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Model defaults, the YAML file at `path`, then `--set` overrides, validated with every stage known."""
    data = merge_sources(path, overrides)
    plugins = data.get("plugins") or []
    discover(plugins if isinstance(plugins, list) else [])
    return validate(data)


def default_config() -> Config:
    discover()
    return Config()


def build_filters(cfg: Config, views: TextViews) -> list[SignalFilter]:
    """The enabled heuristic filters of `cfg.filters`, in their declared order, sharing `views`."""
    classes = stage_classes("filters")
    ordered = sorted(classes.values(), key=lambda cls: (cls.order, cls.name))
    return [cls(cfg.filters[cls.name], views) for cls in ordered if cfg.filters[cls.name].enabled]
