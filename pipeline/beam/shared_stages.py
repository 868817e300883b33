"""Local `--workers N`: a stage's input dealt out in small parts, each taken by the next free worker.

FnApiRunner cuts a stage's input into one part per worker and waits for the slowest. Parts of equal size
are not of equal cost (a range of a WARC file costs what its pages do, and one core of a shared host may
run slower for a while), so one worker could idle for seconds at the end of every large stage. Here a
large input is cut where that needs no decoding (a shuffle's keys, or the chunks upstream bundles wrote)
and each worker pulls the next part when it finishes one, the parts shrinking toward the end. Stages,
coders and outputs stay FnApiRunner's; only which worker runs which part, and when, changes.
"""

from __future__ import annotations

import collections
import itertools
import threading

from apache_beam.metrics import monitoring_infos
from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.portability.fn_api_runner.execution import GroupingBuffer, ListBuffer
from apache_beam.runners.portability.fn_api_runner.fn_runner import BundleManager, ParallelBundleManager
from apache_beam.utils import thread_pool_executor

# Each part idles its worker ~0.1 s (the launcher takes its outputs in before the next goes out): the
# documents' stages (20-30 MB on the real 1,543 pages) are cut in 8 parts a worker of 0.3-0.8 s each.
PARTS_PER_WORKER = 8
# Inputs below this go one part a worker: the small stages (joins, counts, the components' rounds) read
# under 4 MB there, and pulled they took ~1.5 s longer in all.
MIN_PULLED_BYTES = 8 << 20
# A Reshuffle's output is pulled an element at a time up to this many parts a worker, whatever its size:
# a Reshuffle is how a graph says "spread this work" (the read tasks: ~40 bytes, ~1 s of extraction each).
SPREAD_PARTS_PER_WORKER = 64


class SharedStagesRunner(FnApiRunner):
    """FnApiRunner whose multi-worker stages are pulled part by part (`PulledBundleManager`)."""

    def _get_bundle_manager(self, bundle_context_manager):
        manager = super()._get_bundle_manager(bundle_context_manager)
        if type(manager) is not ParallelBundleManager:
            return manager  # one worker, or a stateful stage FnApiRunner keeps on one
        return PulledBundleManager(
            bundle_context_manager,
            self._progress_frequency,
            cache_token_generator=FnApiRunner.get_cache_token_generator(static=False),
        )


class PulledBundleManager(ParallelBundleManager):
    """Runs a stage's input as many small bundles, each worker taking the next as it frees up."""

    def process_bundle(self, inputs, expected_outputs, fired_timers, expected_output_timers, dry_run=False):
        spread = any("ReshufflePerKey/" in name for name in inputs)
        count = self._num_workers * (SPREAD_PARTS_PER_WORKER if spread else PARTS_PER_WORKER)
        parts = None if fired_timers else cheap_parts(inputs, count)
        if parts is None:
            return super().process_bundle(
                inputs, expected_outputs, fired_timers, expected_output_timers, dry_run
            )
        if not spread and _size(parts) < MIN_PULLED_BYTES:
            dealt = min(len(parts), self._num_workers)
            parts = [_joined(parts[i :: self._num_workers]) for i in range(dealt)]
        pieces = _Pieces(parts, self._num_workers)

        def drain(handler):
            manager = BundleManager(
                _OnOneWorker(self.bundle_context_manager, handler),
                self._progress_frequency,
                cache_token_generator=self._cache_token_generator,
            )
            results = []
            while True:
                part = pieces.take()
                if part is None:
                    return results
                results.append(
                    manager.process_bundle(part, expected_outputs, {}, expected_output_timers, dry_run)
                )

        with thread_pool_executor.shared_unbounded_instance() as executor:
            done = list(executor.map(drain, self.bundle_context_manager.worker_handlers))
        return _merged(list(itertools.chain.from_iterable(done)))


def cheap_parts(inputs, count: int) -> list[dict[str, list[bytes]]] | None:
    """Up to `count` non-empty parts of a single-input stage's input, or None where cutting it would mean
    decoding its elements (a list of fewer chunks than parts) or the stage reads several inputs."""
    if len(inputs) != 1:
        return None
    (name, buffer), = inputs.items()
    if isinstance(buffer, ListBuffer):
        count = min(count, sum(1 for _ in buffer))
    elif not isinstance(buffer, GroupingBuffer):
        return None
    if count < 2:
        return None
    parts = buffer.partition(count)
    # an empty input still runs once: a stage's DoFns may emit from finish_bundle (counts, defaults)
    return [{name: part} for part in parts if any(part)] or [{name: parts[0]}]


def _size(parts) -> int:
    return sum(len(chunk) for part in parts for chunks in part.values() for chunk in chunks)


def _joined(parts) -> dict[str, list[bytes]]:
    joined: dict[str, list[bytes]] = {}
    for part in parts:
        for name, chunks in part.items():
            joined.setdefault(name, []).extend(chunks)
    return joined


class _Pieces:
    """A stage's parts, handed out shrinking: a free worker takes 1 / (2 x workers) of those left (guided
    self-scheduling, Polychronopoulos & Kuck 1987), so the first bundles are large (few round trips, each of
    which idles a worker ~0.1 s while the launcher takes its outputs in) and the last small (the workers
    finish together)."""

    def __init__(self, parts, workers: int):
        self._left = collections.deque(parts)
        self._workers = workers
        self._lock = threading.Lock()

    def take(self) -> dict[str, list[bytes]] | None:
        with self._lock:
            if not self._left:
                return None
            count = -(-len(self._left) // (2 * self._workers))
            return _joined([self._left.popleft() for _ in range(count)])


class _OnOneWorker:
    """A stage's bundle context that offers a single worker, so a BundleManager sends its bundle there."""

    def __init__(self, context, handler):
        self._context = context
        self.worker_handlers = [handler]

    def __getattr__(self, name):
        return getattr(self._context, name)


def _merged(results):
    """One (response, splits) for many bundles of a stage, as ParallelBundleManager merges its parts'."""
    responses = [response for response, _ in results]
    merged = beam_fn_api_pb2.InstructionResponse(
        process_bundle=beam_fn_api_pb2.ProcessBundleResponse(
            monitoring_infos=monitoring_infos.consolidate(
                itertools.chain.from_iterable(r.process_bundle.monitoring_infos for r in responses)
            )
        ),
        error=next((r.error for r in responses if r.error), ""),
    )
    return merged, [split for _, splits in results for split in splits]
