"""Versioned prompt templates for the LLM annotator (`<name>.v<version>.yaml` in this folder, or any YAML
file with the same keys): the rubric, how to read the answer, and what values it may take.

A prompt's version is part of the annotation cache key: changing a rubric means a new file with the next
version, so old replies are never mistaken for answers to the new question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

HERE = Path(__file__).resolve().parent
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.yaml$")


def _key(choice: str) -> str:
    """Choices compare without case, spacing or "and": "Arts & Entertainment" is arts_entertainment."""
    return "".join(w for w in re.findall(r"[a-z0-9]+", choice.lower()) if w != "and")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    kind: Literal["score", "choice"]
    template: str  # holds "{text}"
    answer: str  # regex whose first group is the answer; the last match in a reply counts
    system: str | None = None
    min: int = 0
    max: int = 5
    choices: tuple[str, ...] = ()
    max_new_tokens: int = 24
    reply_prefix: str | None = None  # how the reply begins ("Educational score:"): lets a backend read
    # the model's distribution over the answers right after it instead of decoding a reply

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def messages(self, text: str) -> list[dict[str, str]]:
        """Chat messages asking the question about `text` (already truncated by the caller)."""
        user = self.template.replace("{text}", text.strip())
        return ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": user}
        ]

    @property
    def options(self) -> list[str]:
        """Every possible answer, as the model would write it."""
        return [str(v) for v in range(self.min, self.max + 1)] if self.kind == "score" else list(self.choices)

    def from_probs(self, probs: dict[str, float]) -> float | str:
        """The label from the model's probabilities over `options`: for a score, the probability-weighted
        mean (G-Eval, Liu et al. 2023: finer than the most likely digit); for a choice, the most likely."""
        if self.kind == "score":
            return round(sum(int(option) * p for option, p in probs.items()), 4)
        return max(probs.items(), key=lambda kv: (kv[1], kv[0]))[0]

    def parse(self, reply: str) -> int | str:
        """The label in `reply`; ValueError (with the reason) for a malformed reply."""
        found = re.findall(self.answer, reply, flags=re.IGNORECASE)
        if not found:
            raise ValueError(f"no answer matching {self.answer!r}")
        raw = found[-1].strip()
        if self.kind == "score":
            value = int(raw)
            if not self.min <= value <= self.max:
                raise ValueError(f"score {value} outside {self.min}-{self.max}")
            return value
        by_key = {_key(c): c for c in self.choices}
        if _key(raw) not in by_key:
            raise ValueError(f"{raw!r} is not one of {list(self.choices)}")
        return by_key[_key(raw)]


def load_prompt(spec: str) -> Prompt:
    """A prompt by name ("edu": its newest version here), name and version ("edu.v1") or YAML path."""
    path = Path(spec)
    if path.suffix not in (".yaml", ".yml"):
        name, _, version = spec.partition(".v")
        found = sorted(
            (int(m["version"]), p)
            for p in HERE.glob("*.yaml")
            if (m := _FILE.match(p.name)) and m["name"] == name
        )
        if version:
            found = [(v, p) for v, p in found if v == int(version)]
        if not found:
            known = sorted({m["name"] for p in HERE.glob("*.yaml") if (m := _FILE.match(p.name))})
            raise ValueError(f"no prompt {spec!r}; built in: {known}")
        path = found[-1][1]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        prompt = Prompt(
            name=data["name"], version=int(data["version"]), kind=data["kind"], template=data["template"],
            answer=data["answer"], system=data.get("system"), min=int(data.get("min", 0)),
            max=int(data.get("max", 5)), choices=tuple(data.get("choices") or ()),
            max_new_tokens=int(data.get("max_new_tokens", 24)), reply_prefix=data.get("reply_prefix"),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a prompt file ({exc})") from None
    if "{text}" not in prompt.template or prompt.kind not in ("score", "choice"):
        raise ValueError(f"{path}: a prompt needs kind score|choice and a template holding {{text}}")
    return prompt
