"""The shard writer: bounded-memory sorting gives the same bytes as an in-memory sort, bounds hold, and a
document that cannot be written becomes an error record instead of failing its shard."""

from __future__ import annotations

import json
import random

import apache_beam as beam
import pyarrow.parquet as pq

import pipeline.beam.sinks as sinks
from pipeline.beam.sinks import WriteShards, writable
from schemas.config import OutputConfig
from schemas.document import Document


def _docs(n: int) -> list[Document]:
    rng = random.Random(4)
    return [
        Document(
            id=f"{rng.getrandbits(64):016x}",
            source=f"s#{i}",
            text=" ".join(["word"] * rng.randint(5, 400)),
            domain=rng.choice(["general", "code"]),
            tokens=rng.randint(1, 50),
            signals={"x.y": float(i)},
        )
        for i in range(n)
    ]


def _write(docs, out, cfg: OutputConfig) -> list[dict]:
    with beam.Pipeline(runner="FnApiRunner") as p:
        infos = (
            p
            | beam.Create(docs)
            | WriteShards(str(out), "shards", lambda d: d.domain, cfg)
            | beam.Map(json.dumps)
        )
        _ = infos | beam.io.WriteToText(str(out / "infos"))
    return sorted(
        (json.loads(line) for path in out.glob("infos*") for line in path.open()), key=lambda i: i["path"]
    )


def test_spilled_sort_writes_the_same_bytes(tmp_path, monkeypatch):
    docs = _docs(600)
    cfg = OutputConfig(shard_max_rows=250, row_group_rows=40)
    in_memory = _write(docs, tmp_path / "memory", cfg)
    monkeypatch.setattr(sinks, "SORT_BUFFER_BYTES", 5_000)  # a run spilled every few documents
    spills, spill = [], sinks._SortedRuns._spill
    monkeypatch.setattr(sinks._SortedRuns, "_spill", lambda self: (spills.append(1), spill(self)))
    spilled = _write(list(reversed(docs)), tmp_path / "spilled", cfg)
    assert len(spills) > 20
    assert [(i["path"], i["sha256"]) for i in in_memory] == [(i["path"], i["sha256"]) for i in spilled]
    assert sum(i["rows"] for i in spilled) == 600 and all(i["rows"] <= 250 for i in spilled)
    for info in spilled:
        table = pq.read_table(tmp_path / "spilled" / info["path"])
        ids = table.column("id").to_pylist()
        assert ids == sorted(ids) and table.num_rows == info["rows"]
        assert sum(table.column("tokens").to_pylist()) == info["tokens"]
        assert pq.ParquetFile(tmp_path / "spilled" / info["path"]).metadata.num_row_groups == -(
            -info["rows"] // 40
        )


def test_unwritable_documents_become_errors(tmp_path):
    good = Document(id="good", source="s#1", text="fine")
    bad = Document(id="bad", source="s#2", text="fine", signals={"x.y": "not a number"})
    with beam.Pipeline(runner="FnApiRunner") as p:
        docs, errors = writable(p | beam.Create([good, bad]), "Check")
        _ = (
            docs
            | "Ids" >> beam.Map(lambda d: d.id)
            | "WriteIds" >> beam.io.WriteToText(str(tmp_path / "ids"))
        )
        _ = (
            errors
            | "Reasons" >> beam.Map(lambda e: json.dumps([e.id, e.stage, e.error]))
            | "WriteErrors" >> beam.io.WriteToText(str(tmp_path / "errors"))
        )
    ids = [line.strip() for path in tmp_path.glob("ids*") for line in path.open()]
    errors = [json.loads(line) for path in tmp_path.glob("errors*") for line in path.open()]
    assert ids == ["good"]
    assert errors[0][:2] == ["bad", "write"] and "unwritable document" in errors[0][2]
