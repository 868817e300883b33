"""`curate annotate`: an LLM judges a deterministic sample of documents with versioned rubrics
(classifiers/prompts); the labels train the cheap classifiers (`curate train-quality`,
`curate train-classifier`), as Llama 3 trained its quality classifiers on Llama 2's judgements and
FineWeb-Edu distilled Llama-3-70B's educational scores.

Every reply is cached by model, prompt version and document id (and the exact prompt text), so a rerun,
or a larger sample, asks the model only about what it has not seen. A reply that cannot be read is
recorded with the reason and its raw text; a request that fails after its retries is recorded as an
error; neither stops the run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from classifiers.corpus import TextDoc
from classifiers.llm import Backend
from classifiers.prompts import Prompt

DEFAULT_MAX_CHARS = 3_000  # characters of a document shown to the model (FineWeb-Edu: the first ~2k tokens)


class ReplyCache:
    """Replies on disk (SQLite), shared by threads; a key is model + prompt id + mode + document id + a hash
    of the exact messages (so a change of truncation or template never reuses a stale reply)."""

    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL)")
        self._db.commit()
        self._lock = threading.Lock()

    @staticmethod
    def key(model_id: str, prompt: Prompt, mode: str, doc_id: str, messages: list[dict[str, str]]) -> str:
        digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]
        return f"{model_id}|{prompt.id}|{mode}|{doc_id}|{digest}"

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, reply: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?)", (key, reply))
            self._db.commit()

    def close(self) -> None:
        self._db.close()


@dataclass
class Tally:
    """What a run did, per prompt."""

    labeled: Counter = field(default_factory=Counter)
    malformed: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    cached: Counter = field(default_factory=Counter)
    asked: Counter = field(default_factory=Counter)
    values: dict[str, Counter] = field(default_factory=dict)


Mode = Literal["generate", "choices"]


class Annotator:
    """Asks `backend` every prompt about every document and returns one record per document.

    Mode "generate" decodes a reply and reads the answer in it; "choices" (backends that can, for prompts
    with a `reply_prefix`) reads the model's distribution over the possible answers after the prefix. By
    default a prompt is asked in "choices" mode where possible.
    """

    def __init__(self, backend: Backend, prompts: Sequence[Prompt], cache: ReplyCache | None = None,
                 max_chars: int = DEFAULT_MAX_CHARS, mode: Mode | None = None):
        self.backend = backend
        self.prompts = list(prompts)
        self.cache = cache
        self.max_chars = max_chars
        self.mode = mode
        self.tally = Tally()
        for prompt in self.prompts:
            can_choose = hasattr(backend, "choose") and prompt.reply_prefix
            if self.mode_for(prompt) == "choices" and not can_choose:
                raise ValueError(f"{prompt.id}: choices mode needs a local backend and a prompt reply_prefix")

    def mode_for(self, prompt: Prompt) -> Mode:
        if self.mode is not None:
            return self.mode
        return "choices" if hasattr(self.backend, "choose") and prompt.reply_prefix else "generate"

    def annotate(self, docs: Sequence[TextDoc]) -> list[dict]:
        records = [self._record(doc) for doc in docs]
        for prompt in self.prompts:
            mode = self.mode_for(prompt)
            conversations = [prompt.messages(doc.text[: self.max_chars]) for doc in docs]
            keys = [ReplyCache.key(self.backend.model_id, prompt, mode, d.id, m)
                    for d, m in zip(docs, conversations, strict=True)]
            results: list[str | Exception | None] = [self.cache.get(k) if self.cache else None for k in keys]
            missing = [i for i, result in enumerate(results) if result is None]
            self.tally.cached[prompt.name] += len(docs) - len(missing)
            self.tally.asked[prompt.name] += len(missing)
            if missing:
                asked = [conversations[i] for i in missing]
                if mode == "choices":
                    fresh = [r if isinstance(r, Exception) else json.dumps(r, sort_keys=True)
                             for r in self.backend.choose(asked, prompt.reply_prefix, prompt.options)]
                else:
                    fresh = self.backend.generate(asked, prompt.max_new_tokens)
                for i, result in zip(missing, fresh, strict=True):
                    results[i] = result
                    if self.cache is not None and isinstance(result, str):
                        self.cache.put(keys[i], result)
            for record, result in zip(records, results, strict=True):
                self._read(record, prompt, mode, result)
        return records

    def _record(self, doc: TextDoc) -> dict:
        return {"id": doc.id, "source": doc.source, "url": doc.url, "text": doc.text,
                "model": self.backend.model_id, "prompts": {p.name: p.version for p in self.prompts},
                "labels": {}, "replies": {}, "probs": {}, "errors": {}}

    def _read(self, record: dict, prompt: Prompt, mode: Mode, result: str | Exception) -> None:
        if isinstance(result, Exception):
            record["errors"][prompt.name] = f"request failed: {type(result).__name__}: {result}"
            self.tally.failed[prompt.name] += 1
            return
        if mode == "choices":
            probs = json.loads(result)
            record["probs"][prompt.name] = {k: round(v, 4) for k, v in probs.items()}
            value = prompt.from_probs(probs)
        else:
            record["replies"][prompt.name] = result
            try:
                value = prompt.parse(result)
            except ValueError as exc:
                record["errors"][prompt.name] = f"malformed reply: {exc}"
                self.tally.malformed[prompt.name] += 1
                return
        record["labels"][prompt.name] = value
        self.tally.labeled[prompt.name] += 1
        bucket = round(value) if isinstance(value, float) else value  # tallies scores to the nearest point
        self.tally.values.setdefault(prompt.name, Counter())[bucket] += 1


def write_labels(records: Iterable[dict], out) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def run(annotator: Annotator, docs: Sequence[TextDoc], out_path: str, chunk: int = 64) -> Iterator[str]:
    """Annotate `docs` in chunks, writing `out_path` (JSON lines, in sample order); yields progress lines."""
    started, done = time.monotonic(), 0
    with open(out_path, "w", encoding="utf-8") as out:
        for start in range(0, len(docs), chunk):
            batch = docs[start : start + chunk]
            done += write_labels(annotator.annotate(batch), out)
            out.flush()
            yield f"{done}/{len(docs)} documents ({time.monotonic() - started:.1f} s)"
    tally = annotator.tally
    for prompt in annotator.prompts:
        name = prompt.name
        values = dict(sorted(tally.values.get(name, Counter()).items(), key=lambda kv: str(kv[0])))
        yield (f"{prompt.id}: labeled {tally.labeled[name]}, malformed {tally.malformed[name]}, "
               f"failed {tally.failed[name]}; asked {tally.asked[name]}, from cache {tally.cached[name]}; "
               f"labels {values}")
