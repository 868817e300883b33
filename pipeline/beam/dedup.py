"""De-duplication as Beam transforms (Llama 3 section 3.1.1): URL, exact document, line, MinHash.

Each transform takes a PCollection of Document and returns (kept, rejected). Removed documents carry
`dup_cluster` = the keeper's id and the rule "dedup_<kind>.duplicate"; in annotate mode they stay in
`kept` with the same marks. Global steps are GroupByKey / Combine / side inputs over small keyed
records, and each document is shuffled once, to meet its verdict by id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipeline.beam.components import ConnectedComponents, LinkToBest
from pipeline.dedup.keys import line_hashes, normalize_url, priority, remove_lines, text_digest
from pipeline.dedup.minhash import Signer, similarity
from schemas.config import DedupConfig
from schemas.document import Document
from schemas.hashing import stable_hash

REJECTED = "rejected"


class _Route(beam.DoFn):
    """Sends documents that failed a rule of `stage` to the rejected output, unless annotating."""

    def __init__(self, stage: str, annotate: bool):
        self.stage, self.annotate = stage, annotate
        self.rejected = Metrics.counter(stage, "rejected")

    def process(self, doc: Document):
        failed = any(reason.startswith(self.stage + ".") for reason in doc.rejected_by)
        if failed:
            self.rejected.inc()
        if failed and not self.annotate:
            yield pvalue.TaggedOutput(REJECTED, doc)
        else:
            yield doc


def _route(docs, stage: str, annotate: bool):
    out = docs | "Route" >> beam.ParDo(_Route(stage, annotate)).with_outputs(REJECTED, main="kept")
    return out.kept, out[REJECTED]


def _join_by_id(docs, verdicts) -> beam.PCollection:
    """(doc, [verdicts for its id]) for every document; ids are unique, so groups stay tiny."""

    def pair(_id, grouped):
        verdict_list = sorted(grouped["verdicts"])
        for doc in grouped["docs"]:
            yield doc, verdict_list

    return (
        {"docs": docs | "DocsById" >> beam.Map(lambda d: (d.id, d)), "verdicts": verdicts}
        | "JoinById" >> beam.CoGroupByKey()
        | "Pair" >> beam.FlatMapTuple(pair)
    )


def _mark_duplicate(stage: str):
    """Applies (keeper id, similarity) verdicts: the duplicate's cluster, similarity and rule."""

    def mark(doc: Document, verdicts: list[tuple[str, float]]) -> Document:
        if verdicts:
            keeper, score = verdicts[0]
            doc.dup_cluster = keeper
            doc.signals[f"{stage}.similarity"] = score
            doc.rejected_by.append(f"{stage}.duplicate")
        return doc

    return mark


def _disabled(docs):
    return docs, docs.pipeline | "NoneRejected" >> beam.Create([])


class KeyedDedup(beam.PTransform):
    """Keeps the best document of every key (by keeper priority) and marks the others as duplicates."""

    stage = ""

    def __init__(self, settings: DedupConfig, annotate: bool):
        super().__init__()
        self.settings, self.annotate = settings, annotate

    def key(self, doc: Document) -> str | None:
        raise NotImplementedError

    def enabled(self) -> bool:
        raise NotImplementedError

    def expand(self, docs):
        if not self.enabled():
            return _disabled(docs)
        quality, key_of = self.settings.quality_signal, self.key

        def keyed(doc: Document):
            key = key_of(doc)
            if key is not None:
                yield key, priority(doc, quality)

        verdicts = (
            docs
            | "Keys" >> beam.FlatMap(keyed)
            | "LinkToBest" >> LinkToBest()
            | "Verdicts" >> beam.MapTuple(lambda dup, keeper: (dup[-1], (keeper[-1], 1.0)))
        )
        marked = _join_by_id(docs, verdicts) | "Mark" >> beam.MapTuple(_mark_duplicate(self.stage))
        return _route(marked, self.stage, self.annotate)


class UrlDedup(KeyedDedup):
    """One document per normalized URL: the newest fetch (Llama 3 keeps the most recent crawl)."""

    stage = "dedup_url"

    def enabled(self) -> bool:
        return self.settings.url.enabled

    def key(self, doc: Document) -> str | None:
        return normalize_url(doc.url, self.settings.url) if doc.url else None


class ExactDedup(KeyedDedup):
    """One document per normalized text."""

    stage = "dedup_exact"

    def enabled(self) -> bool:
        return self.settings.exact.enabled

    def key(self, doc: Document) -> str | None:
        return text_digest(doc.text)


class LineDedup(beam.PTransform):
    """ccNet / Llama 3 line dedup: lines in more than N documents of a hash bucket leave every document.

    Buckets hold `bucket_docs` documents on average (Llama 3: 30M), assigned by a hash of the id; the
    count of documents comes in as a side input, so the bucket count follows the corpus size.
    """

    stage = "dedup_line"

    def __init__(self, settings: DedupConfig, annotate: bool):
        super().__init__()
        self.line, self.annotate = settings.line, annotate

    def expand(self, docs):
        if not self.line.enabled:
            return _disabled(docs)
        line = self.line

        def line_keys(doc: Document, total: int):
            buckets = max(1, math.ceil(total / line.bucket_docs))
            bucket = stable_hash(doc.id) % buckets
            for h in sorted({h for h in line_hashes(doc.text) if h is not None}):
                yield (bucket, h), doc.id

        def frequent(key, doc_ids: Iterable[str]):
            # Stop counting at the threshold: a boilerplate line in millions of pages costs one pass.
            seen = 0
            for _ in doc_ids:
                seen += 1
                if seen > line.max_occurrences:
                    break
            if seen > line.max_occurrences:
                for doc_id in doc_ids:
                    yield doc_id, key[1]

        def strip(doc: Document, hashes: list[int]) -> Document:
            removal = remove_lines(doc.text, frozenset(hashes))
            doc.text = removal.text
            doc.signals["dedup_line.lines_removed"] = float(removal.lines_removed)
            doc.signals["dedup_line.chars_removed"] = float(removal.chars_removed)
            doc.signals["dedup_line.removed_share"] = removal.removed_share
            if removal.removed_share > line.max_removed_share:
                doc.rejected_by.append("dedup_line.removed_share")
            return doc

        total = docs | "CountDocs" >> beam.combiners.Count.Globally()
        lines = (
            docs
            | "LineKeys" >> beam.FlatMap(line_keys, total=pvalue.AsSingleton(total))
            | "ByLine" >> beam.GroupByKey()
            | "Frequent" >> beam.FlatMapTuple(frequent)
        )
        stripped = _join_by_id(docs, lines) | "Strip" >> beam.MapTuple(strip)
        return _route(stripped, self.stage, self.annotate)


class _Sign(beam.DoFn):
    """(priority node, signature) per document with words; the signer is built once per worker."""

    def __init__(self, settings: DedupConfig):
        self.settings = settings

    def setup(self):
        self.signer = Signer(self.settings.minhash)

    def process(self, doc: Document):
        signature = self.signer.signature(doc.text)
        if signature is not None:
            yield priority(doc, self.settings.quality_signal), signature


class _Bands(beam.DoFn):
    """(band key, node) for each LSH band of a signature: documents sharing a key are candidates."""

    def __init__(self, settings: DedupConfig):
        self.settings = settings

    def setup(self):
        self.signer = Signer(self.settings.minhash)

    def process(self, element):
        node, signature = element
        for key in self.signer.band_keys(signature):
            yield key, node


def _signature_of(group: Iterable[tuple[str, object]]) -> bytes:
    return next(value for kind, value in group if kind == "signature")


def _attach_first(_doc_id, group):
    """Group of a's id: (a, b) -> (a, b, a's signature)."""
    signature = _signature_of(group)
    for kind, value in group:
        if kind == "pair":
            yield value + (signature,)


def _compare_second(_doc_id, group):
    """Group of b's id: (a, b, a's signature) -> (a, b, estimated Jaccard)."""
    signature = _signature_of(group)
    for kind, value in group:
        if kind == "pair":
            first, second, first_signature = value
            yield first, second, similarity(first_signature, signature)


class PairSimilarity(beam.PTransform):
    """(a, b) node pairs -> (a, b, estimated Jaccard of their signatures).

    Each pair visits the group of a's id, then of b's id, where that document's signature waits:
    signatures are never broadcast, and a node in a million pairs streams through its group.
    """

    def __init__(self, signatures):
        super().__init__()
        self.signatures = signatures

    def expand(self, pairs):
        tagged = self.signatures | "TagSignatures" >> beam.MapTuple(
            lambda node, sig: (node[-1], ("signature", sig))
        )
        first = (
            (tagged, pairs | "ByFirst" >> beam.MapTuple(lambda a, b: (a[-1], ("pair", (a, b)))))
            | "FirstParts" >> beam.Flatten()
            | "GroupFirst" >> beam.GroupByKey()
            | "AttachFirst" >> beam.FlatMapTuple(_attach_first)
        )
        return (
            (tagged, first | "BySecond" >> beam.Map(lambda abs_: (abs_[1][-1], ("pair", abs_))))
            | "SecondParts" >> beam.Flatten()
            | "GroupSecond" >> beam.GroupByKey()
            | "Compare" >> beam.FlatMapTuple(_compare_second)
        )


class MinHashDedup(beam.PTransform):
    """Near-duplicate removal: MinHash LSH buckets -> star edges -> connected components -> keepers.

    The component minimum in keeper-priority order is the keeper; every other member is removed with
    its estimated Jaccard similarity to the keeper, and the keeper records the cluster size. With
    `verify`, candidate edges whose signatures agree on less than `threshold` are dropped first.
    """

    stage = "dedup_minhash"

    def __init__(self, settings: DedupConfig, annotate: bool):
        super().__init__()
        self.settings, self.annotate = settings, annotate

    def expand(self, docs):
        minhash = self.settings.minhash
        if not minhash.enabled:
            return _disabled(docs)
        signed = docs | "Sign" >> beam.ParDo(_Sign(self.settings))
        edges = signed | "Bands" >> beam.ParDo(_Bands(self.settings)) | "LinkInBucket" >> LinkToBest()
        if minhash.verify:
            threshold = minhash.threshold
            edges = (
                edges
                | "Verify" >> PairSimilarity(signed)
                | "Verified" >> beam.Filter(lambda edge: edge[2] >= threshold)
                | "Edges" >> beam.MapTuple(lambda a, b, _similarity: (a, b))
            )
        labels, changed = edges | "Components" >> ConnectedComponents(minhash.max_rounds)
        _ = changed | "ReportConvergence" >> beam.Map(_report_unconverged)
        members = (
            labels
            | "KeeperSimilarity" >> PairSimilarity(signed)
            | "MemberVerdicts" >> beam.Map(lambda e: (e[0][-1], ("member", e[1][-1], e[2])))
        )
        sizes = (
            labels
            | "KeeperIds" >> beam.MapTuple(lambda node, root: root[-1])
            | "ClusterSizes" >> beam.combiners.Count.PerElement()
            | "KeeperVerdicts" >> beam.MapTuple(lambda root, n: (root, ("root", root, float(n + 1))))
        )
        verdicts = (members, sizes) | "Verdicts" >> beam.Flatten()
        marked = _join_by_id(docs, verdicts) | "Mark" >> beam.MapTuple(_mark_cluster)
        return _route(marked, self.stage, self.annotate)


def _mark_cluster(doc: Document, verdicts: list[tuple[str, str, float]]) -> Document:
    for role, keeper, value in verdicts:
        doc.dup_cluster = keeper
        if role == "root":
            doc.signals["dedup_minhash.cluster_size"] = value
        else:
            doc.signals["dedup_minhash.similarity"] = value
            doc.rejected_by.append("dedup_minhash.duplicate")
    return doc


def _report_unconverged(changed: int) -> None:
    if changed:
        Metrics.counter("dedup_minhash", "cc_unconverged_nodes").inc(changed)
