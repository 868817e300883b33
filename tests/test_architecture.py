"""The layout's promises: no import cycles, engine-free packages without Beam, schemas at the bottom,
defaults in one home (configs/default.yaml mirrors the models), and filters that plug in by registry."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from pipeline.registry import default_config, load_config
from schemas.document import entries

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "filters", "classifiers", "pipeline")
ENGINE_FREE = ("schemas", "filters", "classifiers", "pipeline")  # all of them but pipeline.beam
BEAM_LAYER = "pipeline.beam"


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules that `path` imports anywhere in its body (lazy imports count too)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]).strip(".")
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            # the deepest project module the import names ("pipeline.stage.Stage" -> "pipeline.stage")
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def external_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_import_cycle_among_project_modules():
    modules = project_modules()
    graph = {name: imports_of(path, name, set(modules)) for name, path in modules.items()}
    # a package's __init__ importing its own submodules is how packages expose an API, not a cycle
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            assert cycle is None, " -> ".join(cycle)


def test_schemas_import_nothing_of_the_project():
    modules = project_modules()
    for name, path in modules.items():
        if name.startswith("schemas"):
            imported = imports_of(path, name, set(modules))
            assert {t for t in imported if not t.startswith("schemas")} == set(), name


def test_engine_free_modules_never_name_apache_beam():
    for name, path in project_modules().items():
        if name.startswith(ENGINE_FREE) and not name.startswith(BEAM_LAYER):
            assert "apache_beam" not in external_imports(path), name


def test_engine_free_packages_import_with_apache_beam_blocked():
    names = [
        n for n in project_modules() if n.startswith(ENGINE_FREE) and not n.startswith(BEAM_LAYER)
    ]
    script = textwrap.dedent(f"""
        import importlib, importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "apache_beam" or name.startswith("apache_beam."):
                    raise ImportError("apache_beam is blocked in this test")

        sys.meta_path.insert(0, Block())
        for name in {names!r}:
            importlib.import_module(name)
        assert not any(m.startswith("apache_beam") for m in sys.modules)
        print("imported", len({names!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == f"imported {len(names)}"


def _leaf_paths(data, prefix=()) -> set[tuple]:
    """Key paths of a config tree; a {min, max} rule is one leaf whatever sides it gives."""
    if isinstance(data, dict) and data and not set(data) <= {"min", "max"}:
        return set().union(*(_leaf_paths(v, (*prefix, k)) for k, v in data.items()))
    return {prefix}


def test_default_yaml_mirrors_the_settings_models():
    shipped = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    defaults = default_config()
    assert _leaf_paths(shipped) == _leaf_paths(defaults.model_dump(mode="json"))
    assert load_config(str(ROOT / "configs" / "default.yaml")) == defaults


PLUGIN = '''
"""Rejects pages that shout: the share of letters in capitals."""

from typing import ClassVar

from pipeline.stage import Bounds, RuleMap, SignalFilter, StageSettings


class Shouting(SignalFilter):
    """Share of upper-case letters among all letters (a made-up rule for this test)."""

    name = "shouting"

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ("caps_ratio",)
        rules: RuleMap = {"caps_ratio": Bounds(max=0.5)}

    def compute(self, doc):
        letters = [c for c in doc.text if c.isalpha()]
        return {"caps_ratio": sum(c.isupper() for c in letters) / (len(letters) or 1)}
'''


CALM = (
    "The river keeps its course through the valley, and the town grows along its banks.",
    "Every spring the water rises with the melting snow from the mountains to the north.",
    "Farmers have learned to plant their fields on the terraces above the flood line.",
    "A stone bridge built two centuries ago still carries carts and cyclists to the market.",
    "On Saturdays the square fills with stalls selling cheese, bread and early vegetables.",
    "The old mill was turned into a museum that shows how grain was ground by hand.",
    "Children from the school visit it each year and try the heavy wooden tools themselves.",
    "In the evening the light turns golden and the swallows hunt insects over the water.",
    "Visitors who stay the night can rent rooms above the bakery near the church.",
    "The local choir sings there on the first Sunday of every month during the summer.",
)
LOUD = (
    "Our shop opens its doors at nine with the best prices of the whole season for everyone.",
    "Buy two jackets and the third one is yours for free until the end of the week.",
    "Every order above fifty euros is delivered to your door within two working days.",
    "Our team answers your questions by phone and by mail from morning until night.",
    "Join the club today and collect points on every purchase you make in our stores.",
    "The new collection arrives next month with colours chosen by our customers.",
    "Return anything you do not like within thirty days and we refund the full price.",
    "Gift cards make the perfect present for birthdays, weddings and the holidays.",
    "Follow our newsletter to hear first about sales and events in your city.",
    "Thank you for shopping with a family business that has served you for decades.",
)


def test_a_filter_from_its_own_module_plugs_into_the_pipeline(tmp_path):
    (tmp_path / "shouting_filter.py").write_text(PLUGIN)
    config = tmp_path / "config.yaml"
    config.write_text(
        "plugins: [shouting_filter]\n"
        "filters:\n  shouting: {enabled: true, rules: {caps_ratio: {max: 0.3}}}\n"
        "  kl: {enabled: false}\n"  # a reference built from two documents rejects one of them
        "pii: {enabled: false}\n"
    )
    docs = [
        {"id": "calm", "text": " ".join(CALM)},
        {"id": "loud", "text": " ".join(s.upper() if i % 2 else s for i, s in enumerate(LOUD))},
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.beam.cli", "run", "--input", str(tmp_path / "in.jsonl"),
         "--output", str(out), "--config", str(config)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rejected = pq.read_table(out / "rejected" / "shouting").to_pylist()
    assert [row["source_id"] for row in rejected] == ["loud"]
    assert rejected[0]["rejected_by"] == ["shouting.caps_ratio"]
    assert 0.4 < entries(rejected[0]["signals"])["shouting.caps_ratio"] < 0.6  # every other sentence
    kept = pq.read_table(out / "shards").to_pylist()
    assert [row["source_id"] for row in kept] == ["calm"]
    assert 0 < entries(kept[0]["signals"])["shouting.caps_ratio"] < 0.3
    manifest = json.loads((out / "manifest.json").read_text())
    assert "shouting" in [stage["stage"] for stage in manifest["funnel"]]
    assert manifest["config"]["filters"]["shouting"]["rules"]["caps_ratio"] == {"min": None, "max": 0.3}
