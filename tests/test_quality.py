"""fastText quality classifiers: trained for real, held-out AUC on real text (webpages-dev main content vs
the boilerplate annotated on the same pages), the scoring stage's signals, percentile and rules, and a
pipeline run whose shards carry quality.* signals."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from bench.classify import real_split
from classifiers.fasttext_model import FastTextModel, TrainParams, normalize, train
from classifiers.quality import QualityCalibration, QualityScorer
from classifiers.train_quality import Example, auc, in_validation, train_and_report
from pipeline.beam.cli import main
from schemas.config import ConfigError
from schemas.document import Document
from tools.sample_corpus import PageFactory, plan_corpus

WEBPAGES = Path(__file__).resolve().parents[2] / "shared" / "webpages-dev" / "ground-truth.jsonl"
BAD_KINDS = ("spam", "keyword_stuffed", "log_dump")


@pytest.fixture(scope="module")
def generated() -> list[Example]:
    factory = PageFactory(5, plan_corpus(800, 5))
    pages = [factory.build(i) for i in range(800)]
    bad = [Example(f"b{i}", "lq", p.text) for i, p in enumerate(pages) if p.kind in BAD_KINDS]
    good = [Example(f"g{i}", "hq", p.text) for i, p in enumerate(pages) if p.kind == "article"]
    return good[: 2 * len(bad)] + bad


@pytest.fixture(scope="module")
def model_path(generated, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("quality") / "gen.bin")
    train_and_report(generated, out, TrainParams(epoch=10), valid_share=0.25)
    return out


def test_normalization_is_shared_and_one_line():
    assert normalize("Hello,\nWorld!  It's  3.5") == "hello , world ! it ' s 3 . 5"
    assert "\n" not in normalize("a\nb\r\nc")
    assert normalize("x" * 50, max_chars=10) == "x" * 10


def test_auc_counts_ties_half_and_needs_both_classes():
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.2, 0.3], [True, True]) is None


def test_validation_split_is_by_id_hash():
    ids = [f"doc-{i}" for i in range(2000)]
    held = [i for i in ids if in_validation(i, 0.2)]
    assert 0.17 < len(held) / len(ids) < 0.23
    assert held == [i for i in ids if in_validation(i, 0.2)]


def test_model_separates_held_out_generated_spam(model_path):
    meta = json.loads(Path(model_path + ".json").read_text())
    assert meta["labels"] == ["hq", "lq"] and meta["normalization"] == "lower-wordpunct-v1"
    assert meta["metrics"]["auc"] > 0.95


@pytest.mark.skipif(not WEBPAGES.exists(), reason="../shared/webpages-dev is not here")
def test_model_separates_real_content_from_real_boilerplate(tmp_path):
    """Real 2026 pages: a window of each page's annotated main content (hq) against the boilerplate
    sentences annotated on the same page (lq), held out by page."""
    report = train_and_report(real_split(WEBPAGES), str(tmp_path / "real.bin"), valid_share=0.3)
    assert sum(report.valid.values()) > 200
    assert report.auc > 0.9 and report.precision > 0.8 and report.recall > 0.8


def test_training_is_deterministic(generated, tmp_path):
    a, b = str(tmp_path / "a.bin"), str(tmp_path / "b.bin")
    for out in (a, b):
        train(((e.label, e.text) for e in generated[:60]), out, TrainParams(epoch=3))
    assert Path(a).read_bytes() == Path(b).read_bytes()


def test_stage_writes_each_model_and_the_primary_score(model_path, generated):
    settings = QualityScorer.Settings(models={"gen": {"path": model_path}, "again": {"path": model_path}},
                                      primary="gen", rules={"score": {"min": 0.5}})
    scorer = QualityScorer(settings)
    scorer.setup()
    docs = [Document(id=e.id, source="t", text=e.text) for e in generated[:40]]
    failed = scorer.process_batch(docs)
    for doc, reasons in zip(docs, failed, strict=True):
        assert doc.signals["quality.score"] == doc.signals["quality.gen"] == doc.signals["quality.again"]
        assert (reasons == ["quality.score"]) == (doc.signals["quality.score"] < 0.5)
    assert "quality.percentile" not in docs[0].signals  # no calibration bound
    one = Document(id="x", source="t", text=generated[0].text)
    scorer.process(one)
    assert one.signals["quality.gen"] == pytest.approx(docs[0].signals["quality.gen"])


def test_percentile_comes_from_the_calibration_sample(model_path, generated):
    settings = QualityScorer.Settings(models={"gen": {"path": model_path}},
                                      rules={"percentile": {"min": 0.25}})
    scorer = QualityScorer(settings)
    builder = scorer.corpus_builder()
    assert isinstance(builder, QualityCalibration) and builder.sample_docs == 10_000
    docs = [Document(id=e.id, source="t", text=e.text) for e in generated]
    half = len(docs) // 2
    left, right = scorer.corpus_builder(), scorer.corpus_builder()
    for doc in docs[:half]:
        left.add(doc)
    for doc in docs[half:]:
        right.add(doc)
    scorer.bind(pickle.loads(pickle.dumps(left.merge([right]))).finalize())  # as Beam ships it
    failed = scorer.process_batch(docs)
    percentiles = [d.signals["quality.percentile"] for d in docs]
    assert min(percentiles) > 0 and max(percentiles) == 1.0
    rejected = sum(bool(f) for f in failed)
    assert 0.15 * len(docs) <= rejected <= 0.3 * len(docs)  # the lowest quarter, up to ties


def test_settings_validate_rules_models_and_primary(model_path):
    with pytest.raises(ValueError, match="no such signal"):
        QualityScorer.Settings(models={"gen": {"path": model_path}}, rules={"nope": {"min": 0.1}})
    with pytest.raises(ValueError, match="primary"):
        QualityScorer.Settings(models={"gen": {"path": model_path}}, primary="other")
    per_model = QualityScorer.Settings(models={"gen": {"path": model_path}}, rules={"gen": {"min": 0.9}})
    assert per_model.primary_name == "gen"


def test_a_missing_or_broken_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="model file not found"):
        FastTextModel(str(tmp_path / "none.bin")).load()
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a fastText model"):
        FastTextModel(str(broken)).load()


def test_pipeline_run_writes_quality_signals_into_shards(model_path, generated, tmp_path, capsys):
    """`curate run` on a JSONL dump with the model configured: the stage runs on Beam (FnApiRunner), loads
    the model on the worker, calibrates the percentile over the run's own documents (a Beam side input)
    and rejects the lowest fifth by rule."""
    dump = tmp_path / "dump.jsonl"
    with dump.open("w") as out:
        for e in generated:
            out.write(json.dumps({"id": e.id, "text": e.text}) + "\n")
    config = tmp_path / "quality.yaml"
    config.write_text(yaml.safe_dump({"classifiers": {"quality": {
        "models": {"gen": {"path": model_path}}, "rules": {"percentile": {"min": 0.2}}}},
        "pii": {"enabled": False}}))
    out_dir = tmp_path / "out"
    assert main(["run", "--input", str(dump), "--output", str(out_dir), "--config", str(config)]) == 0
    kept = [Document.from_row(r) for f in sorted(out_dir.glob("shards/*/*.parquet"))
            for r in pq.read_table(f).to_pylist()]
    wanted = {"quality.gen", "quality.score", "quality.percentile"}
    assert kept and all(wanted <= set(d.signals) for d in kept)
    assert all(d.signals["quality.percentile"] >= 0.2 for d in kept)
    rejected = [Document.from_row(r) for f in sorted(out_dir.glob("rejected/quality/*.parquet"))
                for r in pq.read_table(f).to_pylist()]
    assert rejected and all(d.rejected_by == ["quality.percentile"] for d in rejected)
    assert all(d.signals["quality.percentile"] < 0.2 for d in rejected)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert "quality" in [s["stage"] for s in manifest["funnel"]]
    assert main(["verify", str(out_dir)]) == 0


def test_unknown_model_key_is_a_config_error(tmp_path):
    from pipeline.registry import load_config

    with pytest.raises(ConfigError, match="classifiers.quality.models.gen.pth"):
        load_config(None, ["classifiers.quality.models={gen: {pth: x.bin}}"])


def test_a_model_on_another_filesystem_is_copied_locally_to_load(model_path, monkeypatch):
    """gs:// and s3:// models go through pipeline.files (Beam's FileSystems in a run); fastText loads a
    local temporary copy, deleted after loading."""
    import io

    from pipeline import files

    data = Path(model_path).read_bytes()
    opened = []

    def opener(path: str, mode: str):
        opened.append(path)
        return io.BytesIO(data) if path == "mem://models/q.bin" else files._local(path, mode)

    monkeypatch.setattr(files, "_opener", opener)
    remote, local = FastTextModel("mem://models/q.bin"), FastTextModel(model_path)
    assert remote.probabilities("some text") == local.probabilities("some text")
    assert opened == ["mem://models/q.bin"]
