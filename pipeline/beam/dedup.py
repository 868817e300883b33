"""De-duplication as Beam transforms (Llama 3 section 3.1.1): URL, exact document, line, MinHash.

Verdicts are computed on slim keyed records (63-bit keys, keeper-priority nodes, line hashes, sketches),
never on documents; full documents cross the shuffle once per transform, to meet their verdicts by id.
Every grouping reads its group once in bounded memory, and hot keys of LSH buckets and boilerplate
lines are spread over sub-keys (`pipeline.beam.joins`). Removed documents carry `dup_cluster` = the
keeper's id, "<stage>.similarity" and the rule "<stage>.duplicate"; in annotate mode they stay in `kept`
with the same marks.

- `DocumentDedup`: URL dedup (decided on every extracted document), exact dedup among the URL survivors,
  then ccNet line dedup among the exact survivors; one join applies all three.
- `MinHashDedup`: LSH candidates -> verified on the Jaccard similarity of the shingle sets -> connected
  components -> each member is removed only if it is itself similar to its component's keeper, so no
  cluster is lost through a chain of pairs that are each similar.
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from classifiers.prose import is_code_line
from pipeline.beam.components import ConnectedComponents, DistinctPairs
from pipeline.beam.joins import JoinOne, LinkToBest
from pipeline.beam.runner import COST, ERRORS, REJECTED, CostMeter
from pipeline.beam.singletons import counted
from pipeline.dedup.keys import (
    key63,
    line_hashes,
    line_key,
    normalized_lines,
    priority,
    remove_lines,
    text_key,
    url_key,
)
from pipeline.dedup.minhash import Signer, sketch_similarity
from schemas.config import DedupConfig
from schemas.document import Document, ErrorRecord

URL, EXACT, LINE, MINHASH = "dedup_url", "dedup_exact", "dedup_line", "dedup_minhash"


def _error(doc: Document, stage: str, exc: Exception) -> ErrorRecord:
    reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return ErrorRecord.of(doc.source, stage, reason, id=doc.id)


def url_members(doc: Document, settings: DedupConfig):
    """(URL key, keeper-priority node) of an extracted document with a URL: what URL dedup groups."""
    key = url_key(doc.url, settings.url) if doc.url and settings.url.enabled else None
    if key is not None:
        yield key, priority(doc, settings.quality_signal)


class _TextKeys(beam.DoFn):
    """(id, doc) for the join, (id, (node, text key, distinct line hashes)) for the verdicts, and
    (id, hash of each line) for the join too: line removal reuses them instead of folding the text again."""

    def __init__(self, settings: DedupConfig):
        self.settings = settings
        self.meter = CostMeter("dedup")

    def finish_bundle(self):
        yield from self.meter.emit()

    def process(self, doc: Document):
        try:
            with self.meter.measure():
                record, per_line = self._record(doc)
        except Exception as exc:  # the document is at fault: it leaves with its reason
            yield pvalue.TaggedOutput(ERRORS, _error(doc, "dedup_exact", exc))
            return
        key = key63(doc.id)
        yield key, doc
        yield pvalue.TaggedOutput("text", (key, record))
        if per_line is not None:
            yield pvalue.TaggedOutput("lines", (key, per_line))

    def _record(self, doc: Document) -> tuple[tuple, list[int | None] | None]:
        """(the verdicts' text record, the hash of each line or None without line dedup)."""
        node = priority(doc, self.settings.quality_signal)
        lines = normalized_lines(doc.text)  # folded once for both keys and the line removal
        per_line = line_hashes(doc.text, lines) if self.settings.line.enabled else None
        hashes = sorted({h for h in per_line if h is not None}) if per_line is not None else []
        return (node, text_key(doc.text, lines), hashes), per_line


def _unless_marked(_id, grouped):
    """Per id: the text record, unless a verdict marked the document as a duplicate already."""
    records, marks = [], False
    for tag, value in grouped:
        if tag == "mark":
            marks = True
        else:
            records.append(value)
    if not marks:
        yield from records


def _survivors(records, marked, label: str):
    """Text records of documents without a verdict in `marked` ((id, anything))."""
    return (
        (
            records | f"{label}Records" >> beam.MapTuple(lambda i, r: (i, ("record", (i, r)))),
            marked | f"{label}Marks" >> beam.MapTuple(lambda i, _: (i, ("mark", None))),
        )
        | f"{label}Parts" >> beam.Flatten()
        | f"{label}ById" >> beam.GroupByKey()  # one record and at most a few marks per id
        | f"{label}Survivors" >> beam.FlatMapTuple(_unless_marked)
    )


def _duplicates(members, stage: str):
    """(key, node) -> (duplicate id, (stage, keeper id, 1.0)) for every node that is not its key's best."""
    return (
        members
        | f"{stage}Best" >> LinkToBest()
        | f"{stage}Verdicts" >> beam.MapTuple(lambda dup, keeper: (key63(dup[-1]), (stage, keeper[-1], 1.0)))
    )


_PROTOCOL = pickle.HIGHEST_PROTOCOL


class _Apply(beam.DoFn):
    """Applies the verdicts of one document and routes it: kept, or rejected by its first dedup rule."""

    def __init__(self, settings: DedupConfig, stages: tuple[str, ...], annotate: bool):
        self.settings, self.stages, self.annotate = settings, stages, annotate
        self.rejected = {stage: Metrics.counter(stage, "rejected") for stage in stages}
        self.meter = CostMeter(MINHASH if stages == (MINHASH,) else "dedup")

    def finish_bundle(self):
        yield from self.meter.emit()

    def process(self, element):
        yield from self.meter.timed(self._routed(element))

    def _routed(self, element):
        _id, grouped = element
        doc, verdicts, per_line = None, [], None
        for tag, value in grouped:
            if tag == "doc":
                doc = pickle.loads(value)
            elif tag == "lines":
                per_line = value
            else:
                verdicts.append(value)
        if doc is None:  # a verdict for a document an earlier step already let go
            return
        try:
            ordered = sorted(verdicts, key=lambda v: (self.stages.index(v[0]), repr(v[1:])))
            self._apply(doc, ordered, per_line)
        except Exception as exc:  # the document is at fault: it leaves with its reason
            yield pvalue.TaggedOutput(ERRORS, _error(doc, self.stages[-1], exc))
            return
        failed = [r for r in doc.rejected_by if r.split(".", 1)[0] in self.stages]
        if failed:
            self.rejected[failed[0].split(".", 1)[0]].inc()
        if failed and not self.annotate:
            yield pvalue.TaggedOutput(REJECTED, doc)
        else:
            yield doc

    def _apply(self, doc: Document, verdicts: list[tuple], per_line: list[int | None] | None) -> None:
        frequent = []
        for stage, *rest in verdicts:
            if stage == LINE:
                frequent.append(rest[0])
            elif stage == MINHASH and rest[0] is None:  # a keeper: its cluster's size
                doc.signals[f"{MINHASH}.cluster_size"] = float(rest[1])
            else:
                keeper, similarity = rest
                doc.dup_cluster = keeper
                doc.signals[f"{stage}.similarity"] = similarity
                doc.rejected_by.append(f"{stage}.duplicate")
        if LINE in self.stages and not any(
            r.startswith(("dedup_url.", "dedup_exact.")) for r in doc.rejected_by
        ):
            code = self.settings.line.keep_code_lines and doc.domain in ("math", "code")
            protect = is_code_line if code else None
            removal = remove_lines(doc.text, frozenset(frequent), protect=protect, hashes=per_line)
            doc.text = removal.text
            doc.signals["dedup_line.lines_removed"] = float(removal.lines_removed)
            doc.signals["dedup_line.chars_removed"] = float(removal.chars_removed)
            doc.signals["dedup_line.removed_share"] = removal.removed_share
            if removal.removed_share > self.settings.line.max_removed_share:
                doc.rejected_by.append("dedup_line.removed_share")


def _apply_verdicts(
    docs, verdicts, settings: DedupConfig, stages: tuple[str, ...], annotate: bool, label: str, lines=None
):
    """The one shuffle of full documents: each meets its verdicts (and its line hashes, when `lines` has
    them) by id. Returns (kept, rejected, errors, costs)."""
    # Pickled here, unpickled once in `_Apply`: FnApiRunner writes a Flatten out and reads it back, and
    # its launcher regroups the shuffle's elements; as bytes a document crosses both without being
    # decoded and encoded at each.
    parts = [
        docs | f"{label}Docs" >> beam.MapTuple(lambda i, d: (i, ("doc", pickle.dumps(d, _PROTOCOL)))),
        verdicts | f"{label}Verdicts" >> beam.MapTuple(lambda i, v: (i, ("verdict", v))),
    ]
    if lines is not None:
        parts.append(lines | f"{label}Lines" >> beam.MapTuple(lambda i, h: (i, ("lines", h))))
    out = (
        tuple(parts)
        | f"{label}Parts" >> beam.Flatten()
        | f"{label}ById" >> beam.GroupByKey()  # one document and its few verdicts
        | f"{label}Apply"
        >> beam.ParDo(_Apply(settings, stages, annotate)).with_outputs(REJECTED, ERRORS, COST, main="kept")
    )
    return out.kept, out[REJECTED], out[ERRORS], out[COST]


class DocumentDedup(beam.PTransform):
    """URL, exact and line dedup of the documents after language id: returns (kept, rejected, errors,
    costs).

    `url_members` are the (URL key, node) records of every extracted document (`url_members()`), so a
    page's newest fetch wins even if an older fetch is the one that reaches this point. Line dedup counts
    a line once per document, in buckets of `bucket_docs` documents (by id hash), among the documents
    that are not URL or exact duplicates; lines seen in more than `max_occurrences` documents of a bucket
    leave every document.
    """

    def __init__(self, url_members, settings: DedupConfig, annotate: bool):
        super().__init__()
        self.url_members, self.settings, self.annotate = url_members, settings, annotate

    def stages(self) -> tuple[str, ...]:
        s = self.settings
        enabled = ((URL, s.url.enabled), (EXACT, s.exact.enabled), (LINE, s.line.enabled))
        return tuple(name for name, on in enabled if on)

    def expand(self, docs):
        settings, stages = self.settings, self.stages()
        keyed = docs | "TextKeys" >> beam.ParDo(_TextKeys(settings)).with_output_types(
            tuple[Any, Any]
        ).with_outputs("text", "lines", ERRORS, COST, main="docs")
        records = keyed.text
        verdicts = []
        if URL in stages:
            url = _duplicates(self.url_members, URL)
            verdicts.append(url)
            records = _survivors(records, url, "NotUrlDuplicate")
        if EXACT in stages:
            exact = _duplicates(records | "ExactKeys" >> beam.MapTuple(lambda i, r: (r[1], r[0])), EXACT)
            verdicts.append(exact)
            records = _survivors(records, exact, "NotExactDuplicate")
        if LINE in stages:
            verdicts.append(records | "Lines" >> _FrequentLines(settings.line))
        if not verdicts:
            return (
                keyed.docs | "Unkeyed" >> beam.Values(),
                docs.pipeline | "NoneRejected" >> beam.Create([]),
                keyed[ERRORS],
                keyed[COST],
            )
        all_verdicts = verdicts | "AllVerdicts" >> beam.Flatten()
        lines = keyed.lines if LINE in stages else None
        kept, rejected, errors, costs = _apply_verdicts(
            keyed.docs, all_verdicts, settings, stages, self.annotate, "Join", lines
        )
        return (
            kept,
            rejected,
            (keyed[ERRORS], errors) | "DedupErrors" >> beam.Flatten(),
            (keyed[COST], costs) | "DedupCosts" >> beam.Flatten(),
        )


class _FrequentLines(beam.PTransform):
    """Text records -> (id, (dedup_line, line hash)) for each of its lines that is frequent in its bucket.

    Each bundle counts its line keys in numpy and sends one array of (key, count) per shard of the key
    space (a shard per `LINE_SHARD_DOCS` documents, so a shard's keys fit a worker at any corpus size); the
    frequent keys (boilerplate: a small share of all lines) reach every worker as one sorted array, 8 bytes
    a line, so no (line, document) pair crosses a shuffle. On 1,543 real pages the per-line elements of
    the previous join and counts were a fifth of the run's CPU."""

    def __init__(self, line):
        super().__init__()
        self.line = line

    def expand(self, records):
        line = self.line
        total = counted(records, "CountDocs")
        frequent = pvalue.AsSingleton(
            records
            | "CountInBundle" >> beam.ParDo(_CountLines(line), total=total)
            | "ByShard" >> beam.GroupByKey()
            | "Frequent" >> beam.MapTuple(_frequent_keys, threshold=line.max_occurrences)
            | "FrequentSet" >> beam.CombineGlobally(_SortedKeys())
        )
        return records | "FrequentOnly" >> beam.FlatMapTuple(
            _frequent_lines, line=line, total=total, frequent=frequent
        )


LINE_SHARD_DOCS = 10_000  # ~1.5M distinct lines a shard (~150 per document): ~25 MB of arrays to merge


def _line_keys(doc_key: int, record, line, total: int) -> np.ndarray:
    """The keys of a record's distinct lines within its bucket of `line.bucket_docs` documents (ccNet)."""
    bucket = doc_key % max(1, math.ceil(total / line.bucket_docs))
    return np.array([line_key(bucket, h) for h in record[2]], dtype=np.int64)


class _CountLines(beam.DoFn):
    """(id, record) -> (shard, (distinct keys, counts)) for each shard its lines fall in, once per bundle
    or every `FLUSH_KEYS` keys, whichever comes first (so a huge bundle costs bounded memory)."""

    FLUSH_KEYS = 2_000_000  # 16 MB of keys

    def __init__(self, line):
        self.line = line

    def start_bundle(self):
        self.keys: list[np.ndarray] = []
        self.held = 0
        self.shards = 1

    def process(self, element, total: int):
        doc_key, record = element
        self.shards = max(1, math.ceil(total / LINE_SHARD_DOCS))
        if record[2]:
            self.keys.append(_line_keys(doc_key, record, self.line, total))
            self.held += len(record[2])
            if self.held >= self.FLUSH_KEYS:
                yield from self._counted()

    def finish_bundle(self):
        for value in self._counted():
            yield WindowedValue(value, MIN_TIMESTAMP, (GlobalWindow(),))

    def _counted(self):
        if not self.keys:
            return
        keys, counts = np.unique(np.concatenate(self.keys), return_counts=True)
        self.keys, self.held = [], 0
        shard_of = keys % self.shards
        for shard in np.unique(shard_of).tolist():
            mine = shard_of == shard
            yield shard, (keys[mine], counts[mine])


def _frequent_keys(_shard: int, parts, threshold: int = 0) -> np.ndarray:
    """A shard's keys counted more than `threshold` times over every bundle."""
    parts = list(parts)
    keys, inverse = np.unique(np.concatenate([k for k, _ in parts]), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([c for _, c in parts]))
    return keys[counts > threshold]


def _frequent_lines(doc_key: int, record, line=None, total: int = 0, frequent: np.ndarray | None = None):
    """(id, (dedup_line, hash)) for each of the record's lines whose key is in the sorted `frequent`."""
    if not len(frequent) or not record[2]:
        return
    keys = _line_keys(doc_key, record, line, total)
    found = frequent[np.minimum(np.searchsorted(frequent, keys), len(frequent) - 1)] == keys
    for h, hit in zip(record[2], found.tolist(), strict=True):
        if hit:
            yield doc_key, (LINE, h)


class _SortedKeys(beam.CombineFn):
    """Arrays of integer keys -> one sorted int64 array of the distinct keys, whatever the merge order."""

    def create_accumulator(self) -> list:
        return []

    def add_input(self, arrays: list, keys: np.ndarray) -> list:
        arrays.append(keys)
        return arrays

    def merge_accumulators(self, accumulators) -> list:
        return [keys for arrays in accumulators for keys in arrays]

    def extract_output(self, arrays: list) -> np.ndarray:
        return np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, dtype=np.int64)


class _Sign(beam.DoFn):
    """Per document: (id, doc) for the join, LSH band members and (id, sketches) for verification."""

    def __init__(self, settings: DedupConfig):
        self.settings = settings

    def setup(self):
        self.signer = Signer(self.settings.minhash)
        self.meter = CostMeter(MINHASH)

    def finish_bundle(self):
        yield from self.meter.emit()

    def process(self, doc: Document):
        try:
            with self.meter.measure():
                sketches = self.signer.sketches(doc.text)
                node = priority(doc, self.settings.quality_signal)
                bands = self.signer.band_keys(sketches.signature) if sketches else []
        except Exception as exc:  # the document is at fault: it leaves with its reason
            yield pvalue.TaggedOutput(ERRORS, _error(doc, MINHASH, exc))
            return
        key = key63(doc.id)
        yield key, doc
        if sketches is not None:
            yield pvalue.TaggedOutput("sketch", (key, sketches))
            for key in bands:
                yield pvalue.TaggedOutput("bands", (key, node))


class SketchSimilarity(beam.PTransform):
    """(a, b) node pairs -> (a, b, Jaccard of their shingle sets), with b the hub of its pairs (a bucket's
    best node, a cluster's keeper). b's sketch is fetched first, by slim groups that may be huge; a's
    next, by groups as small as a node's pairs, which carry the fetched sketch."""

    def __init__(self, sketches):
        super().__init__()
        self.sketches = sketches

    def expand(self, pairs):
        return (
            pairs
            | "ByHub" >> beam.Map(lambda ab: (key63(ab[1][-1]), ab))
            | "HubSketch" >> JoinOne(self.sketches)
            | "ByMember" >> beam.MapTuple(lambda ab, sb: (key63(ab[0][-1]), (ab, sb)))
            | "MemberSketch" >> JoinOne(self.sketches)
            | "Compare" >> beam.MapTuple(lambda ab_sb, sa: (*ab_sb[0], sketch_similarity(sa, ab_sb[1])))
        )


class _KeeperVerdict(beam.DoFn):
    """A member similar to its keeper is removed; one that only a chain of similar pairs links to the
    keeper stays (counted: what transitive clustering would have removed)."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.chained = Metrics.counter(MINHASH, "kept_not_similar_to_keeper")

    def process(self, element):
        member, keeper, similarity = element
        if similarity >= self.threshold:
            yield key63(member[-1]), (MINHASH, keeper[-1], similarity)
            yield pvalue.TaggedOutput("removed", (key63(keeper[-1]), 1))
        else:
            self.chained.inc()
            yield pvalue.TaggedOutput("chained", 1)


class MinHashDedup(beam.PTransform):
    """Near-duplicate removal: returns (kept, rejected, errors, costs, stats), stats being ("<name>", count)
    pairs for the manifest (candidate pairs, verified pairs, chained members kept, unconverged nodes).

    Candidate pairs share an LSH band (each member linked to its bucket's best node); a pair is verified
    when the Jaccard similarity of its shingle sets (`sketch_similarity`) reaches `threshold`; verified
    pairs form components whose minimum in keeper-priority order is the keeper.
    """

    def __init__(self, settings: DedupConfig, annotate: bool):
        super().__init__()
        self.settings, self.annotate = settings, annotate

    def expand(self, docs):
        minhash = self.settings.minhash
        signed = docs | "Sign" >> beam.ParDo(_Sign(self.settings)).with_output_types(
            tuple[Any, Any]
        ).with_outputs("sketch", "bands", ERRORS, COST, main="docs")
        candidates = signed.bands | "Candidates" >> LinkToBest() | "DistinctPairs" >> DistinctPairs()
        # only documents with a candidate keep their sketch past this point
        sketches = (
            candidates
            | "CandidateIds" >> beam.FlatMap(lambda ab: [(key63(ab[0][-1]), 0), (key63(ab[1][-1]), 0)])
            | "ById" >> beam.GroupByKey()  # once per document (a document has few pairs)
            | "Once" >> beam.MapTuple(lambda key, _: (key, key))
            | "CandidateSketches" >> JoinOne(signed.sketch)
        )
        threshold = minhash.threshold
        verified = (
            candidates
            | "Verify" >> SketchSimilarity(sketches)
            | "Similar" >> beam.Filter(lambda abs_: abs_[2] >= threshold)
        )
        labels, unconverged = (
            verified
            | "Edges" >> beam.Map(lambda abs_: (abs_[0], abs_[1]))
            | "Components" >> ConnectedComponents(minhash.max_rounds)
        )
        judged = (
            labels
            | "ToKeeper" >> SketchSimilarity(sketches)
            | "KeeperVerdicts"
            >> beam.ParDo(_KeeperVerdict(threshold))
            .with_output_types(tuple[Any, Any])
            .with_outputs("removed", "chained", main="dups")
        )
        sizes = (
            judged.removed
            | "ClusterSizes" >> beam.CombinePerKey(sum)
            | "SizeVerdicts" >> beam.MapTuple(lambda keeper, n: (keeper, (MINHASH, None, n + 1)))
        )
        verdicts = (judged.dups, sizes) | "AllVerdicts" >> beam.Flatten()
        kept, rejected, errors, costs = _apply_verdicts(
            signed.docs, verdicts, self.settings, (MINHASH,), self.annotate, "Join"
        )
        counted = ("candidate_pairs", "verified_pairs", "kept_not_similar_to_keeper", "unconverged_nodes")
        stats = (
            docs.pipeline | "Zeros" >> beam.Create([(f"dedup_minhash.{name}", 0) for name in counted]),
            candidates | "CountCandidates" >> beam.Map(lambda _: ("dedup_minhash.candidate_pairs", 1)),
            verified | "CountVerified" >> beam.Map(lambda _: ("dedup_minhash.verified_pairs", 1)),
            judged.chained
            | "CountChained" >> beam.Map(lambda _: ("dedup_minhash.kept_not_similar_to_keeper", 1)),
            unconverged | "CountUnconverged" >> beam.Map(lambda n: ("dedup_minhash.unconverged_nodes", n)),
        ) | "MinHashStats" >> beam.Flatten()
        return (
            kept,
            rejected,
            (signed[ERRORS], errors) | "MinHashErrors" >> beam.Flatten(),
            (signed[COST], costs) | "MinHashCosts" >> beam.Flatten(),
            stats,
        )
