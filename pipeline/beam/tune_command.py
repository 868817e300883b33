"""`curate tune OUT --set <rule>=<value>... [--write DIR]`: the re-decision report (`pipeline.tune`), and with
`--write` a new output directory made from the stored documents: re-decided, mixed and written by the same
end of graph as a run (`pipeline.beam.finish`), so its shards are what a filter run with these thresholds
writes."""

from __future__ import annotations

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.beam.cli import add_set_option
from pipeline.beam.finish import RunFacts, write_run
from pipeline.beam.launch import UsageError
from pipeline.beam.outputs import OutputError, prepare_output
from pipeline.beam.progress import Monitor, Progress
from pipeline.rules import RuleBook
from pipeline.stored import StoredRun, read_documents, read_errors
from pipeline.tune import render, tune
from schemas.config import Config
from schemas.document import Document

REJECTED = "rejected"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT", help="the output directory of an annotate-mode run")
    add_set_option(parser, "a rule, override or mixture key, e.g. 'filters.c4.rules.sentence_count={min: 3}'")
    parser.add_argument("--write", metavar="DIR", help="write the re-decided, mixed documents to DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier output in DIR")


def run(args, beam_args: list[str]) -> int:
    result, cfg = tune(args.output, args.overrides)
    if args.write:  # checked before anything is printed: a refused DIR is one line
        try:
            prepare_output(args.write, args.overwrite, resumable=False)
        except OutputError as exc:
            raise UsageError(str(exc)) from None
    print(render(result))
    if args.write:
        counts = write_tuned(result.run, cfg, args.write, beam_args)
        print(
            f"wrote {args.write}: {counts['kept']:,} documents kept, {counts['rows']:,} rows in the shards, "
            f"{counts['rejected']:,} rejected, {counts['errors']:,} errors"
        )
    return 0


class _Redecide(beam.DoFn):
    """A stored document under the new rules: kept, or on the rejected output with its new reasons."""

    def __init__(self, cfg: Config, order: list[str]):
        self.cfg, self.order = cfg, order

    def setup(self):
        self.book = RuleBook(self.cfg, self.order)

    def process(self, doc: Document):
        Progress.get().tick()
        doc.rejected_by, doc.bounds = self.book.decide(doc), {}
        if doc.rejected_by:
            yield beam.pvalue.TaggedOutput(REJECTED, doc)
        else:
            yield doc


def write_tuned(run: StoredRun, cfg: Config, output: str, beam_args: list[str]) -> dict:
    """Writes the stored documents of `run`, re-decided under `cfg` (in filter mode), to `output`."""
    cfg = cfg.model_copy(update={"mode": "filter"})
    manifest = run.manifest
    flags = beam_args
    with (
        Monitor(total_records=run.rows("shards", "rejected")),
        beam.Pipeline(options=PipelineOptions(flags)) as p,
    ):
        decided = (
            p
            | "Files" >> beam.Create(run.files("shards", "rejected"))
            | "SpreadFiles" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(read_documents)
            | "Redecide" >> beam.ParDo(_Redecide(cfg, run.stage_names)).with_outputs(REJECTED, main="kept")
        )
        errors = (
            p | "ErrorFiles" >> beam.Create(run.files("errors")) | "ReadErrors" >> beam.FlatMap(read_errors)
        )
        facts = RunFacts(
            patterns=manifest["inputs"]["patterns"],
            stage_names=run.stage_names,
            files=p
            | "InputFiles" >> beam.Create([(f["path"], f["bytes"]) for f in manifest["inputs"]["files"]]),
            input_counts=(p | "InputCount" >> beam.Create([("input", manifest["counts"]["input"])]),),
            stats=[p | "Stats" >> beam.Create(sorted(manifest.get("dedup", {}).items()))],
        )
        write_run(output, cfg, decided.kept, decided[REJECTED], errors, facts)
    return StoredRun(output).manifest["counts"]
