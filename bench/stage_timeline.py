"""Where a local run's wall time goes, stage by stage: FnApiRunner's fused stages with their start, end and
input bytes, from one `curate run`.

    python bench/stage_timeline.py [--small 10] [--json FILE] -- run --input 'X/*.warc.gz' --output OUT ...

Prints the seconds before the first stage (imports, graph, translation), the stages of 0.3 s or more (with
two workers their walls include waiting for the slower part), the number and total of the small ones
(the fixed cost per stage), and the `--small` slowest of those. With `--workers 2` the first stage also
waits for the worker server. Everything after `--` is passed to `curate`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BIG_S = 0.3


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10, help="how many of the slowest small stages to list")
    parser.add_argument("--json", type=Path, help="also write the stages as JSON (name, start, end, bytes)")
    parser.add_argument("curate", nargs=argparse.REMAINDER, help="-- and the `curate` arguments")
    args = parser.parse_args()
    curate = args.curate[1:] if args.curate[:1] == ["--"] else args.curate
    if not curate:
        parser.error("give the `curate` arguments after --")

    started = time.perf_counter()
    rows: list = []
    import pipeline.beam.launch as launch

    run = launch._run

    def patched(request, server):  # Beam is imported here, after the server started (as `curate` does)
        _record(rows, started)
        return run(request, server)

    launch._run = patched
    from pipeline.beam.cli import main as curate_main

    code = curate_main(curate)
    if rows:
        report(rows, time.perf_counter() - started, args.small)
    if args.json:
        args.json.write_text(json.dumps(rows))
    return code


if __name__ == "__main__":
    sys.exit(main())
