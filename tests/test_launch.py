"""`curate run` as a data engineer meets it: refused flags, fast one-line errors, exit statuses, resume,
and the same shards through Beam's portable runner (the path Flink and Spark take) as locally."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.beam.cli import main
from pipeline.beam.launch import EXIT_ERRORS, EXIT_USAGE
from tools.sample_corpus import generate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus")
    generate(str(path), pages=60, seed=3, files=2)
    (path / "truth.json").unlink()
    return path


def _shards(out: Path) -> dict[str, str]:
    return {s["path"]: s["sha256"] for s in json.loads((out / "manifest.json").read_text())["shards"]}


def _curate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.beam.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_an_unknown_flag_is_refused_and_beam_flags_are_not(corpus, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["run", "--input", f"{corpus}/*.gz", "--output", out, "--wrokers", "2"]) == EXIT_USAGE
    assert "unknown flag --wrokers" in capsys.readouterr().err
    assert not os.path.exists(out)
    # a Beam option is accepted as it is, and anything after -- goes to Beam unchecked
    code = main(
        [
            "run",
            "--input",
            f"{corpus}/*.gz",
            "--output",
            out,
            "--dry-run",
            "--experiments=beam_fn_api",
            "--",
            "--some_runner_flag=1",
        ]
    )
    assert code == 0 and not os.path.exists(out)


def test_bad_paths_fail_fast_in_one_line(corpus, tmp_path):
    for args, message in (
        (["--input", f"{corpus}/nothing-*.jsonl"], "error: no input file matches"),
        (["--input", "nosuch://bucket/crawl/*.warc.gz"], "error: cannot list nosuch://bucket/crawl/*.warc.gz"),
        (
            ["--input", f"{corpus}/*.gz", "--set", "classifiers.langid.model=/nowhere/lid.ftz"],
            "error: classifiers.langid.model: no such file: /nowhere/lid.ftz",
        ),
        (
            ["--input", f"{corpus}/*.gz", "--set", "tokens.tokenizer=/nowhere/tokenizer.json"],
            "error: tokens.tokenizer: no such file",
        ),
    ):
        started = time.monotonic()
        proc = _curate("run", *args, "--output", str(tmp_path / "out"))
        assert proc.returncode == EXIT_USAGE, proc.stderr
        assert proc.stderr.strip().startswith(message) and "\n" not in proc.stderr.strip(), proc.stderr
        assert "Traceback" not in proc.stderr
        assert time.monotonic() - started < 30
        assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_run_whose_every_record_failed_exits_non_zero(tmp_path, capsys):
    (tmp_path / "bad.jsonl").write_text('not json\n{"no_text": 1}\n')
    code = main(["run", "--input", str(tmp_path / "bad.jsonl"), "--output", str(tmp_path / "out")])
    assert code == EXIT_ERRORS
    assert "every one of the 2 input records failed" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["counts"]["errors"] == 2


def test_resume_reuses_what_finished_tasks_extracted(corpus, tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(corpus, inputs)
    out = tmp_path / "out"
    assert main(["run", "--input", f"{inputs}/*.gz", "--output", str(out)]) == 0
    expected = _shards(out)
    # the inputs have gone bad since (same sizes: read tasks are planned from them); a resumed run reads
    # the staged outcome instead of them
    for path in inputs.glob("sample-*.warc.gz"):
        path.write_bytes(b"\x00" * path.stat().st_size)
    assert main(["run", "--input", f"{inputs}/*.gz", "--output", str(out), "--resume"]) == 0
    assert _shards(out) == expected
    # without --resume nothing is reused: the broken inputs now end in errors/
    assert (
        main(
            [
                "run",
                "--input",
                f"{inputs}/*.gz",
                "--output",
                str(out),
                "--overwrite",
                "--set",
                "output.max_error_share=1.0",
            ]
        )
        == 0
    )
    assert _shards(out) != expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_portable_runner_writes_the_same_shards(corpus, tmp_path):
    port = _free_port()
    service = subprocess.Popen(
        [sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        local, portable = tmp_path / "local", tmp_path / "portable"
        assert main(["run", "--input", f"{corpus}/*.gz", "--output", str(local)]) == 0
        assert (
            main(
                [
                    "run",
                    "--input",
                    f"{corpus}/*.gz",
                    "--output",
                    str(portable),
                    "--runner",
                    "PortableRunner",
                    "--job_endpoint",
                    f"localhost:{port}",
                    "--environment_type",
                    "LOOPBACK",
                ]
            )
            == 0
        )
        assert _shards(portable) == _shards(local)
        assert len(_shards(local)) >= 4
    finally:
        service.terminate()
        service.wait(timeout=30)
