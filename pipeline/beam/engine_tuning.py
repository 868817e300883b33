"""Three fixed costs of Beam's Python SDK, cut for a 500-transform graph run on local workers.

Measured on the real 1,543-page run (bench/vs_datatrove.py), 2 cores:
- a DoFn's state and timer parameters (`userstate.get_dofn_specs`) are found by taking the signature of
  each of its ~30 methods, six times per ParDo while the graph is built and translated, and again in
  every worker for every stage. They are declared in the defaults of the class's methods, or of the
  function a Map or Filter wraps, so one answer per class (or wrapped function) serves every instance;
- a view of the pipeline options (`view_as`) is made several times per transform, each parsing the
  flags again. Views share their values, so one view per options class serves (`GraphOptions`).
  These two took 1.4 s of the launcher's 3.5 s before the first stage ran;
- each bundle's state sampler thread sleeps between samples, up to 200 ms, and the bundle ends only when
  that sleep does: a wait of ~10 % of a short bundle's time, in every bundle of every stage (1.2 s of a
  one-worker run, 1.6 s of a two-worker run, whose stages run as many small bundles). The sampler keeps
  sampling, its sleep capped at `SAMPLING_PERIOD_MS`; it sleeps without Python's lock.
"""

from __future__ import annotations

import weakref

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.worker import statesampler
from apache_beam.transforms import core, userstate

SAMPLING_PERIOD_MS = 5
_MAX_SPECS = 4096  # wrapped functions are keys too: a session that builds many graphs starts over
_specs: dict = {}
_uncached_specs = userstate.get_dofn_specs
_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_dofn_specs(dofn):
    """`userstate.get_dofn_specs`, remembered per DoFn class (per wrapped function for Map, Filter...)."""
    key = (type(dofn), dofn._fn) if isinstance(dofn, core.CallableWrapperDoFn) else type(dofn)
    try:
        return _specs[key]
    except KeyError:
        pass
    except TypeError:  # a wrapped callable that cannot be hashed
        return _uncached_specs(dofn)
    if len(_specs) >= _MAX_SPECS:
        _specs.clear()
    specs = _specs[key] = _uncached_specs(dofn)
    return specs


def install() -> None:
    """Routes Beam's lookups of DoFn specs (module-level calls in userstate, core and the worker's
    runners) through `get_dofn_specs`, and caps the state samplers' sleep, in this process."""
    userstate.get_dofn_specs = get_dofn_specs
    statesampler.StateSampler.__init__.__defaults__ = (SAMPLING_PERIOD_MS,)


class GraphOptions(PipelineOptions):
    """PipelineOptions whose views are made once per options class: Beam asks for several per transform.
    (Kept beside the object, not in it: Beam pickles options and their views would go along.)"""

    def view_as(self, cls):
        views = _views.setdefault(self, {})
        if cls not in views:
            views[cls] = super().view_as(cls)
        return views[cls]
