"""Config loading: defaults, files, --set overrides, and one-line errors that name the key."""

import subprocess
import sys

import pytest

from pipeline.registry import load_config
from schemas.config import ConfigError


def test_defaults_load_and_hash_is_stable():
    a, b = load_config(), load_config()
    assert a.mode == "filter" and a.output.compression == "zstd"
    assert a.digest() == b.digest()
    assert load_config(overrides=["output.shard_max_rows=7"]).digest() != a.digest()


def test_file_is_merged_over_defaults_and_set_wins(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("output:\n  shard_max_rows: 50\n  row_group_rows: 5\n")
    cfg = load_config(str(path), ["output.row_group_rows=9", "input.id_field=null"])
    assert cfg.output.shard_max_rows == 50
    assert cfg.output.row_group_rows == 9
    assert cfg.input.id_field is None
    assert cfg.output.compression == "zstd"  # untouched default


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("output.shard_max_rowz=3", "config error: output.shard_max_rowz: unknown key"),
        ("outptu.shard_max_rows=3", "config error: outptu: unknown key"),
        ("output.shard_max_rows=abc", "config error: output.shard_max_rows: Input should be a valid integer"),
        ("output.shard_max_rows=0", "config error: output.shard_max_rows: Input should be greater than"),
        ("extract.extractor=magic", "config error: extract.extractor: Input should be"),
        ("output.shard_max_rows.deep=1", "config error: output.shard_max_rows: not a section"),
    ],
)
def test_bad_override_is_one_line_naming_the_key(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(overrides=[override])
    text = str(info.value)
    assert text.startswith(message)
    assert "\n" not in text


def test_bad_file_key_and_type(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("extract:\n  max_html_bytes: lots\n  extractorr: native\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    text = str(info.value)
    assert "\n" not in text
    assert "extract.max_html_bytes: Input should be a valid integer (got 'lots')" in text
    assert "extract.extractorr: unknown key" in text


def test_cli_reports_config_error_in_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"text": "hello"}\n')
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.beam.cli", "run", "--input", str(tmp_path / "in.jsonl"),
         "--output", str(tmp_path / "out"), "--set", "tokens.tokenizr=regex"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "config error: tokens.tokenizr: unknown key"
