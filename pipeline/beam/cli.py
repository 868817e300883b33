"""The `curate` command: run, verify, sample, extract, and the classifier commands (classifiers/)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from classifiers.commands import COMMANDS as CLASSIFIER_COMMANDS
from classifiers.commands import add_commands as add_classifier_commands
from classifiers.commands import run_command as run_classifier_command
from pipeline.registry import load_config
from schemas.config import ConfigError
from schemas.manifest import MANIFEST_NAME


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curate", description="Curate web crawls into pretraining shards.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the pipeline; unknown flags go to Beam PipelineOptions")
    run.add_argument("--input", nargs="+", required=True, metavar="GLOB", help="input files or globs")
    run.add_argument("--output", required=True, metavar="DIR")
    _config_args(run)
    run.add_argument("--workers", type=int, default=0, help="DirectRunner multi-processing workers")
    run.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in DIR")

    verify = sub.add_parser("verify", help="recount an output directory against its manifest")
    verify.add_argument("output", metavar="DIR")

    sample = sub.add_parser("sample", help="write the deterministic sample corpus")
    sample.add_argument("--output", required=True, metavar="DIR")
    sample.add_argument("--pages", type=int, default=300)
    sample.add_argument("--seed", type=int, default=0)

    extract = sub.add_parser("extract", help="print the extracted text of local HTML files")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.add_argument("--format", choices=("plain", "markdown"), default="plain")

    add_classifier_commands(sub)

    args, beam_args = parser.parse_known_args(argv)
    if beam_args and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(beam_args)}")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # Beam warns about optional GCP client libraries on every import; they are irrelevant here.
    logging.getLogger().handlers[0].addFilter(lambda record: "apitools not found" not in record.getMessage())
    try:
        if args.command == "run":
            return _run(args, beam_args)
        if args.command == "verify":
            return _verify(args.output)
        if args.command == "sample":
            return _sample(args)
        if args.command in CLASSIFIER_COMMANDS:
            return run_classifier_command(args)
        from pipeline.extract import extract_files

        sys.stdout.write(extract_files(args.files, args.format))
        return 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML merged over configs/default.yaml")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="override one config key, e.g. --set output.shard_max_rows=5000 (repeatable)",
    )


def _run(args, beam_args: list[str]) -> int:
    cfg = load_config(args.config, args.overrides)
    import apache_beam as beam
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.beam.graph import build_pipeline
    from pipeline.beam.outputs import OutputError, prepare_output

    missing = [
        p for p, m in zip(args.input, FileSystems.match(args.input), strict=True) if not m.metadata_list
    ]
    if missing:
        print(f"error: no input file matches {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        prepare_output(args.output, overwrite=args.overwrite)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = PipelineOptions(_beam_flags(beam_args, args.workers))
    started = time.monotonic()
    with beam.Pipeline(options=options) as p:
        build_pipeline(p, args.input, args.output, cfg)
    with FileSystems.open(f"{args.output.rstrip('/')}/{MANIFEST_NAME}") as fh:
        manifest = json.load(fh)
    print(summary(manifest, time.monotonic() - started))
    return 0


def _beam_flags(beam_args: list[str], workers: int) -> list[str]:
    flags = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in flags):
        # FnApiRunner is the engine behind DirectRunner for batch; naming it skips the Prism
        # attempt, which needs a download this kind of machine cannot make.
        flags.append("--runner=FnApiRunner")
    if workers > 1:
        flags += [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    return flags


def summary(manifest: dict, seconds: float | None = None) -> str:
    """The one-screen end-of-run summary."""
    counts = manifest["counts"]
    lines = [f"documents in {counts['input']:>10,}" + (f"   ({seconds:.1f} s)" if seconds else "")]
    lines.append(f"kept         {counts['kept']:>10,}")
    lines.append(f"rejected     {counts['rejected']:>10,}")
    for stage in manifest["funnel"]:
        if stage["rejected"] or stage["errors"]:
            lines.append(
                f"  {stage['stage']:<24} rejected {stage['rejected']:>8,}   errors {stage['errors']:>6,}"
            )
    for reason, n in sorted(manifest["reasons"].items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {reason:<40} {n:>8,}")
    lines.append(f"errors       {counts['errors']:>10,}   (read {counts['read_errors']:,})")
    if manifest.get("pii_redacted"):
        redacted = ", ".join(f"{k} {v:,}" for k, v in manifest["pii_redacted"].items())
        lines.append(f"pii redacted {sum(manifest['pii_redacted'].values()):>10,}   ({redacted})")
    total = sum(d["tokens"] for d in manifest["domains"].values())
    lines.append(f"tokens kept  {total:>10,}")
    for name, d in manifest["domains"].items():
        lines.append(
            f"  {name:<14} docs {d['documents']:>8,}   tokens {d['tokens']:>12,}   weight {d['weight']:.3f}"
        )
    lines.append(f"shards       {sum(1 for s in manifest['shards'] if s['kind'] == 'shards'):>10,}")
    return "\n".join(lines)


def _sample(args) -> int:
    """The generated corpus lives in tools/, beside the package in a checkout, not in what workers install."""
    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "tools" / "sample_corpus.py").is_file():
        print("error: `curate sample` needs a source checkout (tools/sample_corpus.py)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(checkout))
    from tools.sample_corpus import generate

    truth = generate(args.output, pages=args.pages, seed=args.seed)
    print(f"wrote {len(truth.records)} records to {args.output}")
    return 0


def _verify(output: str) -> int:
    from pipeline.beam.outputs import verify_output

    problems = verify_output(output)
    if problems:
        for problem in problems:
            print(f"MISMATCH: {problem}")
        return 1
    print(f"ok: {output} matches its manifest (input = kept + rejected + errors, checksums verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
