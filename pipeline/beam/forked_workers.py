"""`--workers N` on one machine: FnApiRunner's SDK workers forked from a warm worker server.

Beam's multi-processing mode starts each worker as a fresh interpreter, which then imports Beam, the
stage code and its libraries and loads every model before its first bundle (seconds of CPU per worker,
and every model once per worker in memory). Here the workers are forks of the worker server
(`worker_server`), which set the graph's DoFns up once. Graph, fusion, bundles and coders stay
FnApiRunner's own (the workers run Beam's `sdk_worker_main`), so the bytes out are those of an
in-process run, and the same graph runs on Dataflow or Spark.
"""

from __future__ import annotations

import logging

from apache_beam.portability.api import endpoints_pb2
from apache_beam.runners.portability.fn_api_runner.worker_handlers import (
    GrpcWorkerHandler,
    WorkerHandler,
)
from apache_beam.transforms.environments import Environment
from google.protobuf import json_format, text_format

from pipeline.beam import worker_server

URN = "pretrain_curator:env:forked_python:v1"
_OURS = ("pipeline", "classifiers", "filters")


def _no_mode_warning(record: logging.LogRecord) -> bool:
    # FnApiRunner warns that N workers want a multi-worker running mode: the environment gives them here
    return not record.getMessage().startswith("If direct_num_workers")


@Environment.register_urn(URN, bytes)
class ForkedEnvironment(Environment):
    """Tells FnApiRunner to start this graph's workers with `ForkedWorkerHandler`."""

    def to_runner_api_parameter(self, context):
        return URN, b""

    @staticmethod
    def from_runner_api_parameter(payload, capabilities, artifacts, resource_hints, context):
        return ForkedEnvironment(capabilities, artifacts, resource_hints)


@WorkerHandler.register_environment(URN, bytes)
class ForkedWorkerHandler(GrpcWorkerHandler):
    """Asks the worker server for a worker, with what Beam's subprocess workers get in their environment."""

    def __init__(self, payload: bytes, state, provision_info, grpc_server):
        super().__init__(state, provision_info, grpc_server)

    def start_worker(self) -> None:
        server = worker_server.current()
        if server is None:
            raise RuntimeError("no worker server: run the pipeline inside worker_server()")
        server.start_worker(
            {
                "CONTROL_API_SERVICE_DESCRIPTOR": _descriptor(self.control_address),
                "PIPELINE_OPTIONS": json_format.MessageToJson(
                    self.provision_info.provision_info.pipeline_options
                ),
                "WORKER_ID": self.worker_id,
            }
        )

    def stop_worker(self) -> None:
        pass  # a worker exits when the runner closes its control stream


def _descriptor(url: str) -> str:
    return text_format.MessageToString(endpoints_pb2.ApiServiceDescriptor(url=url))


def forked_runner():
    """An FnApiRunner whose workers come from the worker server: run it inside `worker_server`, with
    `--direct_num_workers` > 1 and the in-memory running mode (the other modes replace the environment)."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.transforms.environments import python_sdk_capabilities

    from pipeline.beam.shared_stages import SharedStagesRunner

    logging.getLogger(fn_runner.__name__).addFilter(_no_mode_warning)  # added once, however many runners
    return SharedStagesRunner(default_environment=ForkedEnvironment(capabilities=python_sdk_capabilities()))


def our_dofns(pipeline) -> list:
    """Every DoFn of this project in `pipeline`: their `setup` only builds stages and loads models, so the
    worker server can run it once for every worker."""
    from apache_beam.pipeline import PipelineVisitor

    fns = []

    class DoFns(PipelineVisitor):
        def visit_transform(self, applied) -> None:
            fn = getattr(applied.transform, "fn", None)
            if type(fn).__module__.split(".")[0] in _OURS:
                fns.append(fn)

    pipeline.visit(DoFns())
    return fns
