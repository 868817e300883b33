"""`curate run`: Beam flags, input listing, output preparation, the run, its summary and exit status.

Checks that can fail fast do so before anything heavy: the config (validated on load), the Beam flags
(refused when Beam does not know them, unless given after `--`), the input globs (listed with a time
limit), the output directory and every model or file a stage needs (`Stage.check`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

from pipeline.beam.progress import Monitor
from schemas.config import Config
from schemas.manifest import MANIFEST_NAME

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_ERRORS = 0, 1, 2, 3
LIST_TIMEOUT_S = 30.0  # a glob on an unreachable filesystem fails after this, not after minutes of retries


class UsageError(Exception):
    """A flag, input or output that makes the run impossible; the message is one line."""


@dataclass
class RunRequest:
    inputs: list[str]
    output: str
    cfg: Config
    beam_flags: list[str]
    overwrite: bool = False
    resume: bool = False
    dry_run: bool = False
    wait: bool = True


def beam_flags(given: list[str], passthrough: list[str], workers: int) -> list[str]:
    """Flags for Beam's PipelineOptions: `given` must be options Beam knows (a typo is refused, not
    dropped with a warning); `passthrough` (after `--`) goes to Beam unchecked."""
    if given:
        unknown = _unknown_beam_flags(given)
        if unknown:
            raise UsageError(
                f"unknown flag {unknown[0]} (neither curate's nor a Beam pipeline option); "
                "put flags for other runners after --"
            )
    flags = [*given, *passthrough]
    if not any(a == "--runner" or a.startswith("--runner=") for a in flags):
        # FnApiRunner is the engine behind DirectRunner for batch; naming it skips the Prism
        # attempt, which needs a download this kind of machine cannot make.
        flags.append("--runner=FnApiRunner")
    if workers > 1:
        flags += [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    return flags


def _unknown_beam_flags(flags: list[str]) -> list[str]:
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    parser = _BeamArgumentParser(allow_abbrev=False)
    pending = list(PipelineOptions.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        cls._add_argparse_args(parser)
    _, unknown = parser.parse_known_args(flags)
    return [flag for flag in unknown if flag.startswith("-")]


def list_inputs(patterns: list[str], timeout_s: float = LIST_TIMEOUT_S) -> int:
    """The input bytes (each file once); raises UsageError naming the glob when one matches nothing or its
    filesystem fails or hangs."""
    from apache_beam.io.filesystems import FileSystems

    outcome: dict[str, object] = {}
    sizes: dict[str, int] = {}

    def match() -> None:
        for pattern in patterns:
            try:
                found = FileSystems.match([pattern])[0].metadata_list
            except Exception as exc:  # reported below, one line
                outcome[pattern] = exc
                return
            if not found:
                outcome[pattern] = None
                return
            sizes.update((meta.path, meta.size_in_bytes) for meta in found)

    worker = threading.Thread(target=match, daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise UsageError(f"listing the inputs took more than {timeout_s:g} s: {' '.join(patterns)}")
    for pattern, problem in outcome.items():
        if problem is None:
            raise UsageError(f"no input file matches {pattern}")
        raise UsageError(
            f"cannot list {pattern}: {type(problem).__name__}: {' '.join(str(problem).split())[:300]}"
        )
    return sum(sizes.values())


def run(request: RunRequest) -> int:
    from pipeline.beam.worker_server import worker_server

    # Decided from the flags as given, before Beam is imported to parse them (a second of the launcher's
    # start): the worker server's own start and imports overlap the launcher's.
    forked = not request.dry_run and _forks_workers(request.beam_flags)
    with worker_server() if forked else nullcontext() as server:
        return _run(request, server)


def _run(request: RunRequest, server) -> int:
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    from pipeline.beam.engine_tuning import GraphOptions
    from pipeline.beam.outputs import OutputError, prepare_output

    options = GraphOptions(request.beam_flags)
    runner = options.view_as(StandardOptions).runner or "FnApiRunner"
    if request.dry_run and runner == "DataflowRunner":
        _check_gcs_locations(options)
        # Beam's translation-only mode: the Dataflow job is built offline and never submitted
        options = GraphOptions([*request.beam_flags, "--dry_run=True"])
    if server is not None:  # the runner's environment, not the mode, picks the workers
        options.view_as(DirectOptions).direct_running_mode = "in_memory"
    total_bytes = 0
    if not request.dry_run:
        total_bytes = list_inputs(request.inputs)
        try:
            prepare_output(request.output, request.overwrite, request.resume)
        except OutputError as exc:
            raise UsageError(str(exc)) from None
    try:
        return _run_graph(request, options, runner, server, total_bytes)
    except BaseException:  # the worker server interrupts the run when a worker dies
        if server is None or not server.deaths:
            raise
        print(f"error: {'; '.join(server.deaths)}: the run stopped", file=sys.stderr)
        return EXIT_ERRORS


def _run_graph(request: RunRequest, options, runner: str, server, total_bytes: int) -> int:
    """Builds the graph, runs it (its workers from `server` when there is one), prints the summary."""
    import apache_beam as beam

    from pipeline.beam.forked_workers import forked_runner, our_dofns
    from pipeline.beam.graph import build_pipeline

    try:
        # Beam validates the runner's options here
        pipeline = beam.Pipeline(runner=forked_runner() if server else None, options=options)
    except ValueError as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    try:
        build_pipeline(pipeline, request.inputs, request.output, request.cfg, resume=request.resume)
    except (FileNotFoundError, ValueError) as exc:  # a stage's model or file (Stage.check)
        raise UsageError(" ".join(str(exc).split())) from None
    if request.dry_run:
        return _dry_run(pipeline, runner)
    if server is not None:
        server.warm(our_dofns(pipeline))
    started = time.monotonic()
    local = runner in ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")
    with Monitor(total_bytes=total_bytes) if local and request.wait else nullcontext():
        result = pipeline.run()
        state = result.wait_until_finish() if request.wait else None
    if not request.wait:
        job = getattr(result, "job_id", lambda: None)()
        print(f"submitted to {runner}" + (f": job {job}" if job else ""))
        url = _console_url(options, job)
        if url:
            print(url)
        return EXIT_OK
    if str(state).split(".")[-1] not in ("DONE", "None"):
        print(f"error: the {runner} job ended in state {state}", file=sys.stderr)
        return EXIT_ERRORS
    manifest = read_manifest(request.output)
    print(summary(manifest, time.monotonic() - started))
    status, message = exit_status(manifest, request.cfg)
    if message:
        print(message, file=sys.stderr)
    return status


def _forks_workers(flags: list[str]) -> bool:
    """Local multi-processing runs take their workers from a warm worker server (`forked_workers`) instead
    of Beam's fresh interpreters."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--runner")
    parser.add_argument("--direct_num_workers", type=int, default=1)
    parser.add_argument("--direct_running_mode")
    try:
        given, _ = parser.parse_known_args(flags)
    except SystemExit:  # a malformed value: Beam's own parse reports it
        return False
    return (
        given.runner in (None, "FnApiRunner")
        and given.direct_running_mode == "multi_processing"
        and (given.direct_num_workers or 1) > 1
        and hasattr(os, "fork")
    )


def _dry_run(pipeline, runner: str) -> int:
    """Translates the graph without running it; prints its transform count and serialized size."""
    if runner == "DataflowRunner":
        job = pipeline.run().job
        proto, request = job.proto_pipeline, job.proto._pb.ByteSize()
        extra = f", job request {request / 2**10:.1f} KiB"
    else:
        proto, extra = pipeline.to_runner_api(), ""
    size = proto.ByteSize()
    print(
        f"dry run for {runner}: {len(proto.components.transforms)} transforms, pipeline graph "
        f"{size / 2**20:.2f} MiB{extra}; nothing was run or written"
    )
    return EXIT_OK


def _check_gcs_locations(options) -> None:
    """Beam falls back to creating a default bucket (over the network, minutes offline) when neither
    location is a valid gs:// path: say so at once instead."""
    from apache_beam.options.pipeline_options import GoogleCloudOptions
    from apache_beam.options.pipeline_options_validator import PipelineOptionsValidator

    gcp = options.view_as(GoogleCloudOptions)
    validator = PipelineOptionsValidator(options, "DataflowRunner")
    errors = validator.validate_gcs_path(gcp, "temp_location")
    if errors and validator.validate_gcs_path(gcp, "staging_location"):
        raise UsageError(f"--temp_location: {errors[0]}")


def _console_url(options, job: str | None) -> str | None:
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    gcp = options.view_as(GoogleCloudOptions)
    if not job or not gcp.project or not gcp.region:
        return None
    return f"https://console.cloud.google.com/dataflow/jobs/{gcp.region}/{job}?project={gcp.project}"


def read_manifest(output: str) -> dict:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(f"{output.rstrip('/')}/{MANIFEST_NAME}") as handle:
        return json.load(handle)


def exit_status(manifest: dict, cfg: Config) -> tuple[int, str]:
    """EXIT_ERRORS when every input record failed or errors exceed `output.max_error_share`."""
    counts = manifest["counts"]
    total, errors = counts["input"], counts["errors"]
    if total and errors == total:
        return EXIT_ERRORS, f"error: every one of the {total:,} input records failed; see errors/"
    share = errors / total if total else 0.0
    if share > cfg.output.max_error_share:
        return EXIT_ERRORS, (
            f"error: {errors:,} of {total:,} records ({share:.1%}) are in errors/, more than "
            f"output.max_error_share = {cfg.output.max_error_share:g}"
        )
    return EXIT_OK, ""


def summary(manifest: dict, seconds: float | None = None) -> str:
    """The one-screen end-of-run summary: counts, the funnel, first reasons, the mixture."""
    counts = manifest["counts"]
    annotate = manifest.get("mode") == "annotate"
    lines = [f"documents in {counts['input']:>10,}" + (f"   ({seconds:.1f} s)" if seconds else "")]
    lines.append(f"kept         {counts['kept']:>10,}   tokens {counts['kept_tokens']:,}")
    if annotate:
        lines.append(f"flagged      {counts['flagged']:>10,}   (annotate mode: in the shards, with reasons)")
    lines.append(f"rejected     {counts['rejected']:>10,}")
    rejected = "would rej." if annotate else "rejected"
    lines.append(f"  {'stage':<20} {'in':>9} {'tokens in':>12} {rejected:>10} {'tokens':>11} {'errors':>7}")
    for stage in manifest["funnel"]:
        lines.append(
            f"  {stage['stage']:<20} {stage['in']:>9,} {stage['in_tokens']:>12,} {stage['rejected']:>10,}"
            f" {stage['rejected_tokens']:>11,} {stage['errors']:>7,}"
        )
    reasons = sorted(manifest["reasons"].items(), key=lambda kv: (-kv[1]["first"], kv[0]))
    if reasons:
        lines.append(f"  {'reason (first / all)':<40} {'first':>8} {'all':>8}")
    for reason, n in reasons:
        lines.append(f"    {reason:<38} {n['first']:>8,} {n['all']:>8,}")
    lines.append(f"errors       {counts['errors']:>10,}   (read {counts['read_errors']:,})")
    if manifest.get("pii_redacted"):
        redacted = ", ".join(f"{k} {v:,}" for k, v in manifest["pii_redacted"].items())
        lines.append(f"pii redacted {sum(manifest['pii_redacted'].values()):>10,}   ({redacted})")
    mixture = manifest["mixture"]
    state = "applied" if mixture["applied"] else "planned, not applied"
    lines.append(f"mixture ({state}): {counts['rows']:,} rows, {counts['copies']:,} of them repeats")
    lines.append(f"  {'bucket':<14} {'requested':>9} {'achieved':>9} {'epochs':>7} {'tokens':>12}   why")
    for name, b in mixture["buckets"].items():
        lines.append(
            f"  {name:<14} {b['requested']:>9.3f} {b['achieved']:>9.3f} {b['epochs']:>7.2f}"
            f" {b['output_tokens']:>12,}   {b['note']}"
        )
    lines.extend(f"  {note}" for note in mixture["notes"])
    lines.append(f"shards       {sum(1 for s in manifest['shards'] if s['kind'] == 'shards'):>10,}")
    cost = manifest.get("cost") or {}
    if cost:
        total = sum(c["cpu_s"] for c in cost.values()) or 1.0
        busiest = sorted(cost.items(), key=lambda kv: -kv[1]["cpu_s"])[:6]
        shares = ", ".join(f"{step} {c['cpu_s'] / total:.0%}" for step, c in busiest)
        lines.append(f"cpu seconds  {total:>10,.1f}   ({shares})")
    return "\n".join(lines)
