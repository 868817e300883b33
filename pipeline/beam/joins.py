"""Joins that survive hot keys: every group is read once, in bounded memory, and hot keys can be spread.

`JoinOne` gives each of many items the one value of its key (a key's best node, a document's sketch).
It groups values with their items and reads each group in one pass; items that arrive before their
value wait in memory, and past `SPILL_ITEMS` on local disk, so a boilerplate line in 100M pages costs
time, never memory. With `spread=S` a key's items are split over S sub-keys (by a hash of the item) and
its value is copied to each: a hot key is worked on by S workers. Beam's CoGroupByKey, by contrast,
holds every group as lists in memory, and side inputs of hot keys cost a broadcast per worker.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam

from schemas.hashing import stable_hash

# Items of one group that wait for their value in memory before the rest wait on local disk (items of a
# few KB at most: a few tens of MB).
SPILL_ITEMS = 10_000
_VALUE, _ITEM = 0, 1


class SpillBuffer:
    """Items waiting for their group's value: a list, then a pickle file beside it once it is long."""

    def __init__(self):
        self.items: list = []
        self.file = None

    def add(self, item) -> None:
        self.items.append(item)
        if len(self.items) >= SPILL_ITEMS:
            if self.file is None:
                self.file = tempfile.TemporaryFile(prefix="curate-join-")
            for waiting in self.items:
                pickle.dump(waiting, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.items = []

    def drain(self) -> Iterator:
        if self.file is not None:
            self.file.seek(0)
            while True:
                try:
                    yield pickle.load(self.file)
                except EOFError:
                    break
            self.file.close()
            self.file = None
        yield from self.items
        self.items = []


def _meet(_key, tagged: Iterable[tuple[int, Any]]):
    """One pass over a group: (item, value) for each item, (item, None) for a key without a value."""
    value, found, waiting = None, False, SpillBuffer()
    for tag, payload in tagged:
        if tag == _VALUE:
            value, found = payload, True
            for item in waiting.drain():
                yield item, value
        elif found:
            yield payload, value
        else:
            waiting.add(payload)
    for item in waiting.drain():
        yield item, None


class JoinOne(beam.PTransform):
    """(key, item) x (key, value), one value per key -> (item, value or None) for every item."""

    def __init__(self, values, spread: int = 1):
        super().__init__()
        self.values, self.spread = values, spread

    def expand(self, items):
        spread = self.spread
        if spread == 1:
            tagged_values = self.values | "TagValues" >> beam.MapTuple(lambda k, v: (k, (_VALUE, v)))
            tagged_items = items | "TagItems" >> beam.MapTuple(lambda k, i: (k, (_ITEM, i)))
        else:
            tagged_values = self.values | "CopyValues" >> beam.FlatMapTuple(
                lambda k, v: [((k, s), (_VALUE, v)) for s in range(spread)]
            )
            tagged_items = items | "SpreadItems" >> beam.MapTuple(
                lambda k, i: ((k, stable_hash(repr(i)) % spread), (_ITEM, i))
            )
        return (
            (tagged_values, tagged_items)
            | "Parts" >> beam.Flatten()
            | "Group" >> beam.GroupByKey()
            | "Meet" >> beam.FlatMapTuple(_meet)
        )


# Sub-keys of a hot key in `LinkToBest`: only keys with two members or more are copied this many times.
LINK_SPREAD = 16


class LinkToBest(beam.PTransform):
    """(key, node) -> (node, smallest node of its key) for every node that is not the smallest.

    The minimum and the count come from a combiner (lifted before the shuffle, so a hot key costs
    nothing there); keys with a single member have no link and are dropped before the join, and each
    member of the others meets its key's minimum through `JoinOne`, spread over sub-keys. Linking each
    member to the minimum (a star) instead of to every other member keeps the output of a bucket of a
    million pages at a million edges, not 10^12.
    """

    def __init__(self, spread: int = LINK_SPREAD):
        super().__init__()
        self.spread = spread

    def expand(self, members):
        best = (
            members
            | "BestAndCount" >> beam.CombinePerKey(_BestAndCount())
            | "Shared" >> beam.Filter(lambda kv: kv[1][1] > 1)
            | "Best" >> beam.MapTuple(lambda key, best_count: (key, best_count[0]))
        )
        return (
            members
            | "ToBest" >> JoinOne(best, self.spread)
            | "NotBest" >> beam.Filter(lambda pair: pair[1] is not None and pair[0] != pair[1])
        )


class _BestAndCount(beam.CombineFn):
    """(smallest node, number of nodes) of a key."""

    def create_accumulator(self):
        return None, 0

    def add_input(self, acc, node):
        best, count = acc
        return (node if best is None or node < best else best), count + 1

    def merge_accumulators(self, accs):
        best, count = None, 0
        for other, n in accs:
            if other is not None and (best is None or other < best):
                best = other
            count += n
        return best, count

    def extract_output(self, acc):
        return acc
