"""Where a local run's wall time goes, stage by stage: FnApiRunner's fused stages with their start, end and
input bytes, from one `curate run`.

    python bench/stage_timeline.py [--small 10] [--json FILE] [--processes] -- run --input 'X/*.warc.gz' ...

Prints the seconds before the first stage (imports, graph, translation), the stages of 0.3 s or more (with
two workers their walls include waiting for the slower part), the number and total of the small ones
(the fixed cost per stage), and the `--small` slowest of those. With `--workers 2` the first stage also
waits for the worker server. `--processes` adds the CPU each process used (launcher, worker server,
workers), second by second, and the workers' idle core-seconds: where a multi-worker run waits.
Everything after `--` is passed to `curate`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.vs_datatrove import tree_cpu  # noqa: E402

BIG_S = 0.3
SAMPLE_S = 0.5


def _record(rows: list, started: float) -> None:
    """Times every stage FnApiRunner executes (patched in once the worker server, if any, has started)."""
    from apache_beam.runners.portability.fn_api_runner import execution, fn_runner

    execute = fn_runner.FnApiRunner._execute_bundle

    def timed(self, context, bundle_context, bundle_input):
        start = time.perf_counter()
        try:
            return execute(self, context, bundle_context, bundle_input)
        finally:
            size = sum(
                len(chunk)
                for buffer in bundle_input.data.values()
                if isinstance(buffer, execution.ListBuffer)
                for chunk in buffer
            )
            rows.append((bundle_context.stage.name, start - started, time.perf_counter() - started, size))

    fn_runner.FnApiRunner._execute_bundle = timed


def report(rows: list, total: float, small_shown: int) -> None:
    big = [r for r in rows if r[2] - r[1] >= BIG_S]
    small = sorted((r for r in rows if r[2] - r[1] < BIG_S), key=lambda r: r[1] - r[2])
    print(f"wall {total:.2f} s, {len(rows)} stages; first stage starts at {rows[0][1]:.2f} s, last ends at "
          f"{rows[-1][2]:.2f} s")
    print(f"stages of {BIG_S} s or more: {len(big)}, {sum(r[2] - r[1] for r in big):.2f} s")
    for name, start, end, size in big:
        print(f"  {end - start:7.2f} s  {size / 1e6:7.1f} MB listed  {name[:120]}")
    print(f"smaller stages: {len(small)}, {sum(r[2] - r[1] for r in small):.2f} s")
    for name, start, end, size in small[:small_shown]:
        print(f"  {end - start:7.3f} s  {size / 1e6:7.1f} MB listed  {name[:120]}")


class ProcessSampler(threading.Thread):
    """CPU seconds of this process and its descendants (the worker server, its workers), every SAMPLE_S.
    Started once the worker server is up: a thread before would make the server spawned."""

    def __init__(self, started: float):
        import psutil

        super().__init__(name="process-sampler", daemon=True)
        self.started = started
        self.samples: list[tuple[float, dict[int, tuple[int, float]]]] = []  # (t, {pid: (depth, cpu s)})
        self._done = threading.Event()
        self._root = psutil.Process()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_S):
            self._sample()

    def stop(self) -> None:
        self._done.set()
        self.join()
        self._sample()

    def _sample(self) -> None:
        self.samples.append((time.perf_counter() - self.started, tree_cpu(self._root)))


def report_processes(samples: list) -> None:
    """Each process's CPU seconds, then the cores each role used second by second, and the seconds in which
    the workers (or, with one worker, the launcher) left a core idle."""
    roles = {0: "launcher", 1: "server", 2: "worker"}
    last: dict[int, tuple[int, float]] = {}
    for _, tree in samples:
        last.update(tree)
    print("cpu seconds by process: " + ", ".join(
        f"{roles.get(depth, 'other')} {pid} {cpu:.1f}" for pid, (depth, cpu) in sorted(last.items())))
    workers = sorted(pid for pid, (depth, _) in last.items() if depth == 2) or [os.getpid()]
    print(f"{'second':>6} {'launcher':>8} {'server':>6} " + " ".join(f"{'w' + str(i + 1):>5}" for i in
                                                                      range(len(workers))))
    before: dict[int, float] = {}
    idle, first_busy, mark = 0.0, None, 0.0
    for t, tree in samples:
        span = t - mark
        closes_last_second = t == samples[-1][0] and span >= 0.25
        if span < 1.0 and not closes_last_second:
            continue
        used = {pid: cpu - before.get(pid, 0.0) for pid, (_, cpu) in tree.items()}
        before.update((pid, cpu) for pid, (_, cpu) in tree.items())
        mark = t
        by_role = {depth: sum(used[p] for p, (d, _) in tree.items() if d == depth) / span for depth in (0, 1)}
        cores = [used.get(pid, 0.0) / span for pid in workers]
        if first_busy is None and any(c > 0.5 for c in cores):
            first_busy = t - span
        if first_busy is not None:
            idle += sum(max(0.0, 1.0 - c) for c in cores) * span
        print(f"{t:6.1f} {by_role[0]:8.2f} {by_role[1]:6.2f} " + " ".join(f"{c:5.2f}" for c in cores))
    if first_busy is not None:
        print(f"idle worker core-seconds from the first busy second ({first_busy:.1f} s) on: {idle:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10, help="how many of the slowest small stages to list")
    parser.add_argument("--json", type=Path, help="also write the stages as JSON (name, start, end, bytes)")
    parser.add_argument("--processes", action="store_true", help="also sample each process's CPU")
    parser.add_argument("curate", nargs=argparse.REMAINDER, help="-- and the `curate` arguments")
    args = parser.parse_args()
    curate = args.curate[1:] if args.curate[:1] == ["--"] else args.curate
    if not curate:
        parser.error("give the `curate` arguments after --")

    started = time.perf_counter()
    rows: list = []
    samplers: list[ProcessSampler] = []
    import pipeline.beam.launch as launch

    run = launch._run

    def patched(request, server):  # Beam is imported here, after the server started (as `curate` does)
        _record(rows, started)
        if args.processes:
            samplers.append(ProcessSampler(started))
            samplers[0].start()
        try:
            return run(request, server)
        finally:
            for sampler in samplers:
                sampler.stop()

    launch._run = patched
    from pipeline.beam.cli import main as curate_main

    code = curate_main(curate)
    if rows:
        report(rows, time.perf_counter() - started, args.small)
    for sampler in samplers:
        report_processes(sampler.samples)
    if args.json:
        args.json.write_text(json.dumps(rows))
    return code


if __name__ == "__main__":
    sys.exit(main())
