"""datatrove's FineWeb-style pipeline, run by bench/vs_datatrove.py inside datatrove's own venv.

    python datatrove_fineweb.py INPUT_DIR GLOB OUTPUT_DIR WORKERS LID_MODEL

WARC reader, URL filter, trafilatura, fastText language id, Gopher repetition and quality, C4 and FineWeb
quality filters, JSONL writer: FineWeb's processing steps before its dedup (datatrove's
examples/fineweb.py). One task per input file. Imports nothing of the project.
"""

import glob
import json
import sys
import time

import datatrove.utils.lid as lid

INPUT, PATTERN, OUTPUT, LID_MODEL = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5]
WORKERS = int(sys.argv[4])
# The same lid.176 file as ours: datatrove would download lid.176.bin from the hub (not reachable here).
lid.cached_asset_path_or_download = lambda *args, **kwargs: LID_MODEL

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.extractors import Trafilatura  # noqa: E402
from datatrove.pipeline.filters import (  # noqa: E402
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
    URLFilter,
)
from datatrove.pipeline.readers import WarcReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

if __name__ == "__main__":
    started = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[
            WarcReader(INPUT, glob_pattern=PATTERN),
            URLFilter(),
            Trafilatura(favour_precision=True, timeout=5.0),  # FineWeb's settings
            LanguageFilter(),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            JsonlWriter(OUTPUT),
        ],
        tasks=len(glob.glob(f"{INPUT}/{PATTERN}")),
        workers=WORKERS,
        logging_dir=OUTPUT + "-logs",
    ).run()
    print(json.dumps({"seconds": time.perf_counter() - started}))
