"""Beam's fixed costs cut (`engine_tuning`, `singletons`) without changing what Beam decides: the same
DoFn specs, option views that share their values, samplers that still sample, and global values whose
empty-input default comes from the combine itself."""

from __future__ import annotations

import pickle

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions
from apache_beam.runners.worker import statesampler
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import userstate
from apache_beam.transforms.userstate import BagStateSpec, TimerSpec, on_timer

from pipeline.beam import engine_tuning
from pipeline.beam.runner import StageFn
from pipeline.beam.singletons import combined, counted

BAG = BagStateSpec("seen", VarIntCoder())
TIMER = TimerSpec("flush", userstate.TimeDomain.WATERMARK)


class _Stateful(beam.DoFn):
    def process(self, element, seen=beam.DoFn.StateParam(BAG), flush=beam.DoFn.TimerParam(TIMER)):
        seen.add(1)
        yield element[0], sum(seen.read())  # counts per key only where Beam runs it as stateful

    @on_timer(TIMER)
    def _flush(self, seen=beam.DoFn.StateParam(BAG)):
        yield sum(seen.read())


class _Plain(beam.DoFn):
    def process(self, element):
        yield element


def test_cached_dofn_specs_are_beams_for_every_kind_of_dofn() -> None:
    engine_tuning.install()
    fns = [_Stateful(), _Stateful(), _Plain(), beam.Map(len).fn, beam.Filter(bool).fn, beam.Map(str).fn]
    for fn in fns:
        assert engine_tuning.get_dofn_specs(fn) == engine_tuning._uncached_specs(fn)
    assert userstate.is_stateful_dofn(_Stateful()) and not userstate.is_stateful_dofn(_Plain())
    state, timers = userstate.get_dofn_specs(_Stateful())
    assert state == {BAG} and timers == {TIMER}
    # a Map's answer is its function's: two Maps share the wrapper class, not the answer's key
    keys = {(type(fn), fn._fn) for fn in fns[3:]}
    assert len(keys) == 3 and keys <= set(engine_tuning._specs)


def test_a_stateful_dofn_still_runs_as_one_after_install() -> None:
    engine_tuning.install()
    with beam.Pipeline(options=PipelineOptions([])) as p:
        out = p | beam.Create([("a", 1), ("a", 2), ("b", 3)]) | beam.ParDo(_Stateful())
        assert_that(out, equal_to([("a", 1), ("a", 2), ("b", 1)]))


def test_graph_options_views_are_made_once_and_share_values() -> None:
    options = engine_tuning.GraphOptions(["--direct_num_workers=2", "--runner=FnApiRunner"])
    direct = options.view_as(DirectOptions)
    assert options.view_as(DirectOptions) is direct
    assert direct.direct_num_workers == 2 and options.view_as(StandardOptions).runner == "FnApiRunner"
    direct.direct_running_mode = "in_memory"  # as the launcher sets it: seen by every view and by Beam
    assert options.view_as(DirectOptions).direct_running_mode == "in_memory"
    assert options.get_all_options()["direct_running_mode"] == "in_memory"
    copy = pickle.loads(pickle.dumps(options))
    assert copy.view_as(DirectOptions).direct_running_mode == "in_memory"
    assert copy.view_as(DirectOptions) is not direct


def test_samplers_made_after_install_sleep_at_most_the_capped_period() -> None:
    engine_tuning.install()
    sampler = statesampler.StateSampler("stage", None)
    assert sampler.sampling_period_ms == engine_tuning.SAMPLING_PERIOD_MS < 200
    assert statesampler.StateSampler("stage", None, sampling_period_ms=50).sampling_period_ms == 50


def test_stage_dofns_are_not_stateful() -> None:
    """Our stage DoFn is cached per class: one answer serves every stage of the graph."""
    engine_tuning.install()
    assert userstate.get_dofn_specs(StageFn.__new__(StageFn)) == (set(), set())
    assert StageFn in engine_tuning._specs


class _Sum(beam.CombineFn):
    def create_accumulator(self):
        return 0

    def add_input(self, total, value):
        return total + value

    def merge_accumulators(self, totals):
        return sum(totals)

    def extract_output(self, total):
        return {"sum": total}


def test_combined_side_inputs_have_the_combines_own_value_on_an_empty_input() -> None:
    with beam.Pipeline(options=PipelineOptions([])) as p:
        empty = p | "Empty" >> beam.Create([]).with_output_types(int)
        three = p | "Three" >> beam.Create([4, 5, 6])
        out = p | "Probe" >> beam.Create([None]) | beam.Map(
            lambda _, *values: values,
            counted(empty, "CountEmpty"),
            counted(three, "CountThree"),
            combined(empty, "SumEmpty", _Sum()),
            combined(three, "SumThree", _Sum()),
        )
        assert_that(out, equal_to([(0, 3, {"sum": 0}, {"sum": 15})]))
