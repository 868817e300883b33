"""Local workers pulling a stage's input in parts: every element runs once, a Reshuffle's output is spread
over many bundles and both workers, small inputs go one part a worker, and an empty input still runs."""

from __future__ import annotations

import os
import uuid

import apache_beam as beam
import pytest
from apache_beam import coders
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner.execution import GroupingBuffer, ListBuffer
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to
from apache_beam.transforms import core, window
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.beam.forked_workers import forked_runner, our_dofns
from pipeline.beam.shared_stages import _Pieces, cheap_parts
from pipeline.beam.worker_server import worker_server

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


class _Where(beam.DoFn):
    """Tags each element with its bundle and process."""

    def start_bundle(self):
        self.bundle = uuid.uuid4().hex

    def process(self, element):
        yield element, self.bundle, os.getpid()


def _spread_over(min_bundles: int, workers: int):
    def check(rows) -> None:
        bundles = {bundle for _, bundle, _ in rows}
        pids = {pid for _, _, pid in rows}
        if len(bundles) < min_bundles or len(pids) != workers:
            raise BeamAssertException(f"{len(bundles)} bundles in {len(pids)} processes")

    return check


def _at_most(counts, limit: int) -> None:
    if counts[0] > limit:
        raise BeamAssertException(f"a small input ran in {counts[0]} bundles")


def test_a_reshuffled_input_is_pulled_in_parts_by_every_worker() -> None:
    pipeline = beam.Pipeline(runner=forked_runner(), options=PipelineOptions(["--direct_num_workers=2"]))
    tasks = pipeline | beam.Create(range(32)) | beam.Reshuffle()
    rows = tasks | "Where" >> beam.ParDo(_Where())
    assert_that(rows | beam.Map(lambda row: row[0]), equal_to(list(range(32))), label="EachOnce")
    # guided parts of 32 tasks over 2 workers: 8, 6, 5, 4, 3, 2, 1, 1, 1, 1
    assert_that(rows, _spread_over(min_bundles=10, workers=2), label="Spread")
    small = tasks | beam.Map(lambda x: (x % 8, x)) | beam.GroupByKey() | "WhereSmall" >> beam.ParDo(_Where())
    bundles = small | beam.Map(lambda row: row[1]) | beam.Distinct() | beam.combiners.Count.Globally()
    assert_that(bundles, lambda counts: _at_most(counts, 2), label="SmallDealt")
    empty = pipeline | "Nothing" >> beam.Create([]) | "Group" >> beam.GroupByKey()
    total = empty | beam.Map(lambda kv: 1) | beam.CombineGlobally(sum)
    assert_that(total, equal_to([0]), label="EmptyStillRuns")
    with worker_server() as server:
        server.warm(our_dofns(pipeline))
        pipeline.run().wait_until_finish()
    assert server.deaths == []


def test_parts_are_handed_out_shrinking_and_each_once() -> None:
    pieces = _Pieces([{"in": [bytes([i])]} for i in range(32)], workers=2)
    sizes, seen = [], []
    while (part := pieces.take()) is not None:
        sizes.append(len(part["in"]))
        seen += part["in"]
    assert sizes == [8, 6, 5, 4, 3, 2, 1, 1, 1, 1]
    assert seen == [bytes([i]) for i in range(32)]


def _grouping_buffer(keys: list[str]) -> GroupingBuffer:
    kv = coders.TupleCoder([coders.StrUtf8Coder(), coders.VarIntCoder()])
    grouped = coders.TupleCoder([coders.StrUtf8Coder(), coders.IterableCoder(coders.VarIntCoder())])
    windowed = lambda coder: coders.WindowedValueCoder(coder)  # noqa: E731
    buffer = GroupingBuffer(windowed(kv), windowed(grouped), core.Windowing(window.GlobalWindows()))
    impl = windowed(kv).get_impl()
    for i, key in enumerate(keys):
        buffer.append(impl.encode_nested(WindowedValue((key, i), 0, [window.GlobalWindow()])))
    return buffer


def test_cheap_parts_cut_keys_and_chunks_never_elements() -> None:
    parts = cheap_parts({"read": _grouping_buffer(["a", "b", "c", "d", "e"])}, 16)
    assert len(parts) == 5 and all(list(p) == ["read"] for p in parts)
    assert len(cheap_parts({"read": _grouping_buffer([])}, 16)) == 1  # an empty input still runs once
    chunks = ListBuffer(coders.BytesCoder().get_impl())
    for chunk in (b"one", b"two", b"three"):
        chunks.append(chunk)
    assert [p["read"] for p in cheap_parts({"read": chunks}, 16)] == [[b"one"], [b"two"], [b"three"]]
    single = ListBuffer(coders.BytesCoder().get_impl())
    single.append(b"only")
    assert cheap_parts({"read": single}, 16) is None  # cutting it would decode its elements
    assert cheap_parts({"a": chunks, "b": single}, 16) is None  # several inputs: FnApiRunner's own split
