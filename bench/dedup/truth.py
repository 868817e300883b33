"""Exact ground truth for the benchmark: every document pair with Jaccard >= t on the 5-gram shingle sets.

An exact set-similarity join with prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007,
"AllPairs"): with shingles ordered rarest first, two sets with Jaccard >= t must share a shingle within
their first |s| - ceil(t |s|) + 1 shingles, so only those prefixes are indexed and each candidate pair
is then verified on the full sets. No pair at or above t is missed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict


def similar_pairs(sets: dict[str, frozenset[int]], threshold: float) -> dict[tuple[str, str], float]:
    """{(a, b): jaccard} for every pair a < b of non-empty sets with jaccard >= threshold."""
    frequency = Counter(token for tokens in sets.values() for token in tokens)
    index: dict[int, list[str]] = defaultdict(list)
    found: dict[tuple[str, str], float] = {}
    # Visiting sets by size lets each one probe only earlier (smaller or equal) sets.
    for doc_id in sorted(sets, key=lambda d: (len(sets[d]), d)):
        tokens = sets[doc_id]
        if not tokens:
            continue
        ordered = sorted(tokens, key=lambda t: (frequency[t], t))
        prefix = ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]
        candidates = {other for token in prefix for other in index[token]}
        for other in candidates:
            other_tokens = sets[other]
            if len(other_tokens) < threshold * len(tokens):
                continue  # size filter: J <= |small| / |large|
            shared = len(tokens & other_tokens)
            jaccard = shared / (len(tokens) + len(other_tokens) - shared)
            if jaccard >= threshold:
                found[tuple(sorted((doc_id, other)))] = jaccard
        for token in prefix:
            index[token].append(doc_id)
    return found


def clusters_of_pairs(ids: list[str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Connected components of the pair graph as {id: smallest id of its component} (union-find)."""
    parent = {i: i for i in ids}

    def find(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in ids}


def pair_scores(truth: dict[str, str], predicted: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over the pairs of documents that share a cluster (counted, not listed)."""

    def pairs(groups: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in groups.values())

    true_pairs = pairs(Counter(truth.values()))
    predicted_pairs = pairs(Counter(predicted.values()))
    both = pairs(Counter((truth[i], predicted[i]) for i in truth))
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
