"""`curate report OUT [--out FILE]`: one self-contained HTML file about a run (see `pipeline.report.page`)."""

from __future__ import annotations

import argparse

from pipeline.files import write_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT", help="the output directory of a run")
    parser.add_argument("--out", metavar="FILE", help="where to write the page (default: OUT/report.html)")
    parser.add_argument("--sample", type=int, default=3, metavar="N", help="documents shown per reason")


def run(args, _beam_flags: list[str]) -> int:
    from pipeline.report.page import build
    from pipeline.stored import StoredRun

    target = args.out or f"{args.output.rstrip('/')}/report.html"
    write_bytes(target, build(StoredRun(args.output), args.sample).encode("utf-8"))
    print(f"wrote {target}")
    return 0
