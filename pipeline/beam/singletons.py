"""A global value (a count, a corpus value) as a side input, without Beam's default-injecting step."""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.transforms.combiners import CountCombineFn


def combined(pcoll, label: str, combine_fn: beam.CombineFn):
    """`combine_fn` over `pcoll` as a singleton side input; on an empty input, `combine_fn`'s value of no
    elements. Beam's CombineGlobally re-emits its value through a step that supplies that default: a
    stage of its own on the way to every reader, which decodes and encodes the value once more (0.1-0.3 s
    for the KL reference of 1,500 pages). AsSingleton's default does the same without it."""
    value = pcoll | label >> beam.CombineGlobally(combine_fn).without_defaults()
    empty = combine_fn.extract_output(combine_fn.create_accumulator())
    return pvalue.AsSingleton(value, default_value=empty)


def counted(pcoll, label: str):
    """The number of elements of `pcoll` as a singleton side input (0 when empty)."""
    return combined(pcoll, label, CountCombineFn())
