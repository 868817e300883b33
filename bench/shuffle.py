"""Bytes the whole pipeline moves through shuffles, per input byte, on the generated corpus.

    python bench/shuffle.py --pages 1000

Runs the full default graph on Beam's FnApiRunner and reads its own metrics: for the input PCollection of
every GroupByKey, element count x mean encoded size (Beam samples the coder's byte size of elements).
GroupByKeys inside combiners are reported apart: the runner lifts them, so what they move is partial
results, far less than their input. The script only uses `pipeline.beam.graph.build_pipeline`,
`pipeline.registry.load_config` and `tools.sample_corpus`, so it runs unchanged against an older checkout
(PYTHONPATH=that checkout) for a before / after comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# bench/filters.py would shadow the filters package; a checkout named in PYTHONPATH wins over this one
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

import apache_beam as beam  # noqa: E402
from apache_beam.metrics import monitoring_infos  # noqa: E402
from apache_beam.options.pipeline_options import PipelineOptions  # noqa: E402

from pipeline.beam.graph import build_pipeline  # noqa: E402
from pipeline.registry import load_config  # noqa: E402
from tools.sample_corpus import generate  # noqa: E402

GBK = "beam:transform:group_by_key:v1"
COMBINE = "beam:transform:combine_per_key:v1"


def shuffle_inputs(proto) -> dict[str, tuple[str, bool]]:
    """PCollection id -> (GroupByKey name, lifted: inside a combiner) for every GroupByKey."""
    transforms = proto.components.transforms
    parent = {child: tid for tid, t in transforms.items() for child in t.subtransforms}
    found = {}
    for tid, transform in transforms.items():
        if transform.spec.urn != GBK:
            continue
        ancestor, lifted = parent.get(tid), False
        while ancestor is not None:
            lifted = lifted or transforms[ancestor].spec.urn == COMBINE
            ancestor = parent.get(ancestor)
        for pcoll in transform.inputs.values():
            found[pcoll] = (transform.unique_name, lifted)
    return found


def measured_bytes(result) -> dict[str, float]:
    """PCollection id -> element count x mean sampled encoded size."""
    counts, means = {}, {}
    for info in result.monitoring_infos():
        pcoll = info.labels.get("PCOLLECTION")
        if pcoll is None:
            continue
        value = monitoring_infos.extract_metric_result_map_value(info)
        if info.urn == monitoring_infos.ELEMENT_COUNT_URN:
            counts[pcoll] = counts.get(pcoll, 0) + value
        elif info.urn == monitoring_infos.SAMPLED_BYTE_SIZE_URN and value.count:
            means[pcoll] = value.mean
    return {pcoll: counts.get(pcoll, 0) * mean for pcoll, mean in means.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = f"{tmp}/in", f"{tmp}/out"
        generate(corpus, pages=args.pages, seed=2, files=4)
        input_bytes = sum(p.stat().st_size for p in Path(corpus).glob("*.warc.gz"))
        start = time.perf_counter()
        pipeline = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
        build_pipeline(pipeline, [f"{corpus}/*.warc.gz"], out, load_config())
        inputs = shuffle_inputs(pipeline.to_runner_api())
        result = pipeline.run()
        result.wait_until_finish()
        seconds = time.perf_counter() - start
    sizes = measured_bytes(result)
    totals: dict[bool, float] = defaultdict(float)
    rows = []
    for pcoll, (name, lifted) in inputs.items():
        size = sizes.get(pcoll, 0.0)
        totals[lifted] += size
        rows.append((size, name, lifted))
    print(f"corpus: {args.pages} generated pages, {input_bytes / 1e6:.2f} MB of WARC.gz ({seconds:.0f} s)")
    print(f"shuffled: {totals[False] / 1e6:.2f} MB through {sum(not r[2] for r in rows)} GroupByKeys = "
          f"{totals[False] / input_bytes:.2f} bytes per input byte; combiner inputs (lifted) "
          f"{totals[True] / 1e6:.2f} MB more")
    for size, name, lifted in sorted(rows, reverse=True)[: args.top]:
        print(f"  {size / 1e6:8.2f} MB  {'(lifted) ' if lifted else ''}{name}")


if __name__ == "__main__":
    main()
