"""Backends that answer chat prompts for the annotator: a local transformers causal LM, or any
OpenAI-compatible server (vLLM, TGI, llama.cpp server, ...).

Both take lists of chat messages and return, per conversation, the reply text or the exception that
stopped it, so one failure never stops a batch. Decoding is greedy: the same model and prompt give the
same reply, which is what makes caching replies sound.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

Messages = list[dict[str, str]]
log = logging.getLogger(__name__)


class Backend(Protocol):
    model_id: str  # names the model in the cache key

    def generate(self, conversations: list[Messages], max_new_tokens: int) -> list[str | Exception]: ...


def find_gguf(model_dir: str) -> str | None:
    """The one .gguf file of a directory that has no config.json (a GGUF-only model), else None."""
    path = Path(model_dir)
    if (path / "config.json").exists():
        return None
    found = sorted(p.name for p in path.glob("*.gguf"))
    if len(found) > 1:
        raise ValueError(f"{model_dir}: several .gguf files {found}; name one with --gguf-file")
    return found[0] if found else None


class LocalBackend:
    """A transformers causal LM loaded from a directory (config + weights, or a GGUF file that
    transformers dequantizes), run in batches: on a GPU in bf16 when one is present, else on CPU in float32
    with `threads` threads."""

    def __init__(self, model_dir: str, gguf_file: str | None = None, batch_size: int = 8,
                 threads: int | None = None, device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not Path(model_dir).is_dir():
            raise FileNotFoundError(f"model directory not found: {model_dir}")
        gguf_file = gguf_file or find_gguf(model_dir)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        if threads and self.device == "cpu":
            torch.set_num_threads(threads)
        extra = {"gguf_file": gguf_file} if gguf_file else {}
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, **extra)
        self.tokenizer.padding_side = "left"  # generation continues from the right end of every row
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, **extra).to(self.device)
        self.model.eval()
        self.batch_size = batch_size
        self.model_id = f"local:{Path(model_dir).name}" + (f"/{gguf_file}" if gguf_file else "")
        self._torch = torch

    def prompt_text(self, messages: Messages) -> str:
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return "\n\n".join(m["content"] for m in messages) + "\n\n"

    def generate(self, conversations: list[Messages], max_new_tokens: int) -> list[str | Exception]:
        texts = [self.prompt_text(m) for m in conversations]
        return self._batched(texts, lambda batch: self._generate(batch, max_new_tokens))

    def choose(self, conversations: list[Messages], prefix: str, options: list[str]
               ) -> list[dict[str, float] | Exception]:
        """Per conversation, the probability of each option as the first token after the assistant's reply
        begins with `prefix` (renormalized over the options): one forward pass, no decoding, and a graded
        answer even from a model too small to follow a reply format."""
        ids, prefix = self._option_ids(prefix, options)
        texts = [self.prompt_text(m) + prefix for m in conversations]
        return self._batched(texts, lambda batch: self._choose(batch, ids, options))

    def _option_ids(self, prefix: str, options: list[str]) -> tuple[list[int], str]:
        """The first token of each option after `prefix` and a space, and the prefix to end the prompt with:
        tokenizers that keep the space apart (digits in SmolLM2's) need it inside the prefix."""
        def first(text: str) -> int:
            return self.tokenizer.encode(text, add_special_tokens=False)[0]

        ids = [first(" " + option) for option in options]
        if len(set(ids)) < len(ids) or any(not self.tokenizer.decode([i]).strip() for i in ids):
            ids, prefix = [first(option) for option in options], prefix + " "
        if len(set(ids)) < len(ids):
            raise ValueError(f"options {options} share a first token; they cannot be told apart in one step")
        return ids, prefix

    def _batched(self, texts: list[str], run) -> list:
        # batches of similar length waste little on padding; results go back in input order
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: list = [RuntimeError("not run")] * len(texts)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            try:
                for i, result in zip(chunk, run([texts[i] for i in chunk]), strict=True):
                    results[i] = result
            except Exception as exc:  # noqa: BLE001 - recorded per document by the annotator
                for i in chunk:
                    results[i] = exc
        return results

    def _encode(self, texts: list[str]):
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        return encoded.to(self.device)

    def _generate(self, texts: list[str], max_new_tokens: int) -> list[str]:
        inputs = self._encode(texts)
        with self._torch.inference_mode():
            out = self.model.generate(
                **inputs, max_new_tokens=max_new_tokens, do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new = out[:, inputs["input_ids"].shape[1] :]
        return self.tokenizer.batch_decode(new, skip_special_tokens=True)

    def _choose(self, texts: list[str], ids: list[int], options: list[str]) -> list[dict[str, float]]:
        inputs = self._encode(texts)
        with self._torch.inference_mode():
            logits = self.model(**inputs, logits_to_keep=1).logits[:, -1, :]  # left padding: last is real
        probs = self._torch.softmax(logits[:, ids].float(), dim=-1).tolist()
        return [dict(zip(options, row, strict=True)) for row in probs]


class ServerError(RuntimeError):
    """A request that failed after every retry."""


class ServerBackend:
    """POST /v1/chat/completions on an OpenAI-compatible server, `concurrency` requests at a time, each
    with a timeout and `retries` retries (exponential backoff) on connection errors, timeouts, 429, 5xx
    and unreadable bodies. Other 4xx answers are not retried: the request itself is wrong."""

    def __init__(self, url: str, model: str, concurrency: int = 4, timeout: float = 60.0, retries: int = 3,
                 backoff: float = 1.0, api_key: str | None = None):
        base = url.rstrip("/")
        self.endpoint = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.model = model
        self.model_id = f"server:{model}"
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.api_key = api_key

    def generate(self, conversations: list[Messages], max_new_tokens: int) -> list[str | Exception]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda m: self._one(m, max_new_tokens), conversations))

    def _one(self, messages: Messages, max_new_tokens: int) -> str | Exception:
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0,
                           "max_tokens": max_new_tokens}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _reply_text(json.loads(response.read()))
            except urllib.error.HTTPError as exc:
                last = exc
                if exc.code != 429 and exc.code < 500:
                    return ServerError(f"HTTP {exc.code}: {exc.reason}")
            except (OSError, TimeoutError, ValueError, KeyError, IndexError, TypeError) as exc:
                last = exc  # connection refused/reset, timeout, a body that is not a completion
            log.info("request failed (attempt %d of %d): %s", attempt + 1, self.retries + 1, last)
        return ServerError(f"failed after {self.retries + 1} attempts: {type(last).__name__}: {last}")


def _reply_text(payload: dict) -> str:
    content = payload["choices"][0]["message"]["content"]
    if not isinstance(content, str):
        raise TypeError(f"reply content is {type(content).__name__}, not text")
    return content
