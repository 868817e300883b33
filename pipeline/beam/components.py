"""Connected components of the near-duplicate graph as Beam transforms (Kiveris et al. 2014).

Nodes are any totally ordered, deterministically encodable values (here keeper-priority tuples), so the
minimum of a component is its keeper. Each star step reads a node's group once: its neighbours wait on
local disk past a bounded number while the minimum is found, so a hub with a million neighbours costs
time, never memory.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipeline.beam.joins import SPILL_ITEMS, SpillBuffer

CHANGED = "changed"


def _neighbours(node, group) -> tuple[Any, SpillBuffer]:
    """One pass over a node's group: the smallest of the node and its neighbours, and the distinct
    neighbours (duplicates past the in-memory part are tolerated: they only repeat an output)."""
    smallest, seen, waiting = node, set(), SpillBuffer()
    for other in group:
        if other in seen:
            continue
        if len(seen) < SPILL_ITEMS:
            seen.add(other)
        smallest = min(smallest, other)
        waiting.add(other)
    return smallest, waiting


class _LargeStar(beam.DoFn):
    """Large-star: every larger neighbour v of u moves to m = min(N(u) + u)."""

    def __init__(self, round_no: int):
        self.changed = Metrics.counter("dedup_minhash", f"cc_changed_round_{round_no:02d}")

    def process(self, element):
        node, group = element
        smallest, neighbours = _neighbours(node, group)
        moved = False
        for other in neighbours.drain():
            if other > node:
                yield other, smallest
                moved = moved or smallest != node
        if moved:
            self.changed.inc()
            yield pvalue.TaggedOutput(CHANGED, 1)


class _SmallStar(beam.DoFn):
    """Small-star: u and its smaller neighbours all attach to the smallest of them."""

    def __init__(self, round_no: int):
        self.changed = Metrics.counter("dedup_minhash", f"cc_changed_round_{round_no:02d}")

    def process(self, element):
        node, group = element
        smallest, smaller = _neighbours(node, group)
        yield node, smallest
        moved = False
        for other in smaller.drain():
            if other != smallest:
                moved = True
                yield other, smallest
        if moved:
            self.changed.inc()
            yield pvalue.TaggedOutput(CHANGED, 1)


def _star(step: beam.DoFn) -> beam.ParDo:
    # Tagged outputs confuse type inference of the main output, hence the explicit edge type.
    return beam.ParDo(step).with_output_types(tuple[Any, Any]).with_outputs(CHANGED, main="edges")


class DistinctPairs(beam.PTransform):
    """(a, b) pairs, each once: grouped by a (a node has few pairs), not by a combiner over every pair."""

    def expand(self, pairs):
        return (
            pairs
            | "ByFirst" >> beam.GroupByKey()
            | "Once" >> beam.FlatMapTuple(lambda a, bs: [(a, b) for b in sorted(set(bs))])
        )


def _both_directions(big, small):
    return [(big, small), (small, big)]


class ConnectedComponents(beam.PTransform):
    """Undirected edges -> ((node, component minimum) for every non-minimum node, changed count).

    Alternating large-star / small-star rounds (Kiveris et al., "Connected Components in MapReduce and
    Beyond", SoCC 2014) converge in O(log^2 n) rounds to one star per component, centred on its
    minimum. A Beam graph is static, so `max_rounds` rounds are unrolled; on a star forest both steps
    reproduce their input, so rounds after convergence are no-ops. The second output counts nodes the
    last round still changed: 0 means converged. If not, the labels are still safe: a node is only
    ever labelled with a smaller node of its own component, though some duplicates stay unlabelled
    (kept) and some labels are not the minimum.
    """

    def __init__(self, max_rounds: int):
        super().__init__()
        if max_rounds < 1:
            raise ValueError("max_rounds must be at least 1")
        self.max_rounds = max_rounds

    def expand(self, edges):
        # Edges are kept oriented (larger, smaller); the star steps never add edges, so the volume of
        # every round is at most that of the first.
        current = (
            edges
            | "Orient" >> beam.MapTuple(lambda a, b: (max(a, b), min(a, b)))
            | "NoLoops" >> beam.Filter(lambda edge: edge[0] != edge[1])
            | "Distinct" >> DistinctPairs()
        )
        changed = []
        for r in range(self.max_rounds):
            large = (
                current
                | f"Symmetric{r}" >> beam.FlatMapTuple(_both_directions)
                | f"ByNode{r}" >> beam.GroupByKey()
                | f"LargeStar{r}" >> _star(_LargeStar(r))
            )
            small = (
                large.edges | f"ByLarger{r}" >> beam.GroupByKey() | f"SmallStar{r}" >> _star(_SmallStar(r))
            )
            current = small.edges
            changed = [large[CHANGED], small[CHANGED]]
        # a node's edges are few once the stars formed: grouped, not combined (a lifted combine would keep a
        # table of up to a million nodes per worker)
        labels = (
            current
            | "ByNodeFinal" >> beam.GroupByKey()
            | "Label" >> beam.MapTuple(lambda n, ms: (n, min(ms)))
        )
        last_changed = (
            changed | "LastRoundChanged" >> beam.Flatten() | "CountChanged" >> beam.CombineGlobally(sum)
        )
        return labels, last_changed
