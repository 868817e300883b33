"""Local workers forked from a warm server: the same results as in-process, in processes that are forks of
the server, which set the stages up once before any worker started."""

from __future__ import annotations

import os
import signal

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to

from pipeline.beam.forked_workers import forked_runner, our_dofns
from pipeline.beam.runner import run_stage
from pipeline.beam.worker_server import worker_server
from pipeline.stage import Stage
from schemas.document import Document

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

_first_setup_pid: int | None = None  # the process the stage was first set up in, inherited by forks


class _Where(Stage):
    """Marks each document with where it ran and where its stage was first set up; rejects odd numbers."""

    name = "where"

    def setup(self) -> None:
        global _first_setup_pid
        if _first_setup_pid is None:
            _first_setup_pid = os.getpid()

    def process(self, doc: Document) -> list[str]:
        doc.signals.update(pid=float(os.getpid()), setup_pid=float(_first_setup_pid or 0))
        return ["where.odd"] if int(doc.id) % 2 else []


def _forks_of_one_warm_server(launcher: int):
    """A matcher: every document ran in a worker, not the launcher, and every worker's stage was first set
    up in one other process (the server, before the workers forked from it)."""

    def check(pairs) -> None:
        pids = {int(pid) for pid, _ in pairs}
        setups = {int(setup) for _, setup in pairs}
        if launcher in pids or len(setups) != 1 or setups & pids or launcher in setups:
            raise BeamAssertException(f"ran in {pids}, first set up in {setups}, launcher {launcher}")

    return check


def test_forked_workers_run_the_graph_in_forks_of_a_warm_server() -> None:
    # A process that has run Beam's gRPC servers (as here, Beam's own multi-processing workers) cannot be
    # forked safely: the server must not be a fork of it.
    grpc_options = PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    with beam.Pipeline(runner="FnApiRunner", options=grpc_options) as p:
        assert_that(p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * 2), equal_to([2, 4, 6]))
    docs = [Document(id=str(i), source="t", text=f"document {i}") for i in range(40)]
    options = PipelineOptions(["--direct_num_workers=2"])
    pipeline = beam.Pipeline(runner=forked_runner(), options=options)
    kept, rejected, errors, _ = run_stage(pipeline | beam.Create(docs), _Where(), annotate=False)
    ids = lambda label, docs: docs | label >> beam.Map(lambda d: d.id)  # noqa: E731
    assert_that(ids("KeptIds", kept), equal_to([str(i) for i in range(0, 40, 2)]), label="Kept")
    assert_that(ids("RejectedIds", rejected), equal_to([str(i) for i in range(1, 40, 2)]), label="Rejected")
    assert_that(errors, equal_to([]), label="NoErrors")
    where = (kept, rejected) | beam.Flatten() | beam.Map(lambda d: (d.signals["pid"], d.signals["setup_pid"]))
    assert_that(where, _forks_of_one_warm_server(os.getpid()), label="Where")
    with worker_server() as server:
        server.warm(our_dofns(pipeline))
        pipeline.run().wait_until_finish()
    assert server.deaths == []  # workers leave cleanly when the run ends


def test_forked_runner_needs_its_server() -> None:
    pipeline = beam.Pipeline(runner=forked_runner(), options=PipelineOptions(["--direct_num_workers=2"]))
    _ = pipeline | beam.Create([1, 2]) | beam.Map(lambda x: x)
    with pytest.raises(RuntimeError, match="no worker server"):
        pipeline.run().wait_until_finish()


class _Crash(beam.DoFn):
    def process(self, x):
        if x == 3:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        yield x


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # Beam's reader thread
def test_a_killed_worker_stops_the_run_and_is_named() -> None:
    pipeline = beam.Pipeline(runner=forked_runner(), options=PipelineOptions(["--direct_num_workers=2"]))
    _ = pipeline | beam.Create(list(range(8))) | beam.ParDo(_Crash())
    stopped = False
    try:
        with worker_server() as server:
            pipeline.run().wait_until_finish()
    except BaseException:  # the server's KeyboardInterrupt, or Beam's error when it sees the death first
        stopped = True
    assert stopped
    assert len(server.deaths) == 1 and "killed by SIGKILL" in server.deaths[0], server.deaths
