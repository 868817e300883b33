"""The `curate` command: run, verify, tune, audit, report, reference, sample, extract, and the classifier
commands (classifiers/). Each command's work lives in its own module; this one registers and dispatches."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from classifiers.commands import COMMANDS as CLASSIFIER_COMMANDS
from classifiers.commands import add_commands as add_classifier_commands
from classifiers.commands import run_command as run_classifier_command
from pipeline.beam.launch import EXIT_MISMATCH, EXIT_USAGE, RunRequest, UsageError, beam_flags, run
from pipeline.registry import load_config
from pipeline.stored import StoredRunError
from schemas.config import ConfigError

# name -> (module with add_arguments(parser) and run(args, beam_flags) -> exit status, help)
ANALYSIS_COMMANDS = {
    "tune": ("pipeline.beam.tune_command", "re-decide an annotated run from stored signals; --write shards"),
    "audit": ("pipeline.audit", "sample rejected documents of one reason, the offending part marked"),
    "report": ("pipeline.report", "one self-contained HTML file: funnel, histograms, mixture, samples"),
    "reference": ("pipeline.beam.reference", "build the KL filter's reference distribution from a corpus"),
}
BEAM_COMMANDS = ("run", "tune", "reference")  # commands that run a Beam pipeline and take its options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curate", description="Curate web crawls into pretraining shards.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the pipeline; Beam pipeline options (--runner, --project...) are accepted too"
    )
    run.add_argument("--input", nargs="+", required=True, metavar="GLOB", help="input files or globs")
    run.add_argument("--output", required=True, metavar="DIR")
    _config_args(run)
    run.add_argument("--workers", type=int, default=0, help="local runner: worker processes")
    run.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in DIR")
    run.add_argument("--resume", action="store_true", help="reuse what an earlier run in DIR extracted")
    run.add_argument("--dry-run", action="store_true", help="translate the graph for the runner, run nothing")
    run.add_argument("--no-wait", action="store_true", help="submit the job and exit (remote runners)")

    verify = sub.add_parser("verify", help="recount an output directory against its manifest")
    verify.add_argument("output", metavar="DIR")

    sample = sub.add_parser("sample", help="write the deterministic sample corpus")
    sample.add_argument("--output", required=True, metavar="DIR")
    sample.add_argument("--pages", type=int, default=300)
    sample.add_argument("--seed", type=int, default=0)

    extract = sub.add_parser("extract", help="print the extracted text of local HTML files")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.add_argument("--format", choices=("plain", "markdown"), default="plain")

    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in ANALYSIS_COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if name == chosen:  # some import Beam (a second): `run` starts its worker server before that
            importlib.import_module(module).add_arguments(command)

    add_classifier_commands(sub)

    passthrough = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    args, beam_args = parser.parse_known_args(argv)
    if (beam_args or passthrough) and args.command not in BEAM_COMMANDS:
        parser.error(f"unrecognized arguments: {' '.join(beam_args + passthrough)}")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # Beam warns about optional GCP client libraries on every import; they are irrelevant here.
    logging.getLogger().handlers[0].addFilter(lambda record: "apitools not found" not in record.getMessage())
    try:
        if args.command == "run":
            return _run(args, beam_args, passthrough)
        if args.command == "verify":
            return _verify(args.output)
        if args.command == "sample":
            return _sample(args)
        if args.command in ANALYSIS_COMMANDS:
            module = importlib.import_module(ANALYSIS_COMMANDS[args.command][0])
            flags = beam_flags(beam_args, passthrough, 0) if args.command in BEAM_COMMANDS else []
            return module.run(args, flags)
        if args.command in CLASSIFIER_COMMANDS:
            return run_classifier_command(args)
        from pipeline.extract import extract_files

        sys.stdout.write(extract_files(args.files, args.format))
        return 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, StoredRunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML merged over configs/default.yaml")
    add_set_option(parser, "override one config key, e.g. --set output.shard_max_rows=5000 (repeatable)")


def add_set_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--set KEY=VALUE` (repeatable) into `args.overrides`: every command that takes config keys has it."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides", help=help_text
    )


def _run(args, beam_args: list[str], passthrough: list[str]) -> int:
    cfg = load_config(args.config, args.overrides)
    request = RunRequest(
        inputs=args.input,
        output=args.output,
        cfg=cfg,
        beam_flags=beam_flags(beam_args, passthrough, args.workers),
        overwrite=args.overwrite,
        resume=args.resume,
        dry_run=args.dry_run,
        wait=not args.no_wait,
    )
    return run(request)


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
        return EXIT_MISMATCH
    print(f"ok: {output} matches its manifest (input = kept + rejected + errors, checksums verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
