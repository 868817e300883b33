"""Train the native extractor's block classifier on webpages-dev, and measure it by site.

    .venv/bin/python -m bench.extract.train_blocks [--folds 5] [--write | --check]

Every text block of every page gets the features of `pipeline.extract.blocks.FEATURES` and a label:
the share of its word 4-grams found in the page's annotated main content (short blocks: found as a
whole), >= 0.5 is content. Blocks weigh their word count over the page's truth length, so each page
counts about as much as in the per-page metrics. Scores are measured by k-fold cross-validation
grouped by site (registered domain): a fold never trains and tests on one site. The rendered text of
each held-out page is scored with the usual metrics (webpages.py) at a few keep thresholds.
`--write` trains on all pages and writes pipeline/extract/data/blocks.json.gz with the threshold
that was best in cross-validation. Numpy only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bench.extract.webpages import WebPage, WebTally, inline_paragraphs, link_survival, load_webpages
from pipeline.extract.blocks import CODE_TAG, FEATURES, MATH_TAG, Blocks, features
from pipeline.extract.classify import decide, holding_math_or_code
from pipeline.extract.decode import Deadline, decode_html
from pipeline.extract.model import MODEL_PATH, BlockModel, load_model
from pipeline.extract.native import Finished, _Page, parse_page, render

_WORD = re.compile(r"\w+")
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.5)


@dataclass
class PageData:
    page: WebPage
    parsed: tuple[_Page, Blocks] | None
    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray


def block_texts(page: _Page, blocks: Blocks) -> list[str]:
    """The text each block owns, its formulas and code included."""
    lifted: dict[int, list[str]] = defaultdict(list)
    for el in blocks.body.iter(MATH_TAG, CODE_TAG):
        table = page.formulas if el.tag == MATH_TAG else page.codes
        lifted[blocks.owner[el]].append(table[int(el.get("i"))][0])
    return [" ".join([*blocks.pieces[c], *lifted.get(c, ())]) for c in blocks.blocks]


def label(text: str, shingles: set, joined: str) -> float:
    """Share of the block's word 4-grams in the truth; a block under 4 words: 1 if found whole."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    if len(words) < 4:
        return float(f" {' '.join(words)} " in joined)
    grams = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
    return sum(g in shingles for g in grams) / len(grams)


def featurize(pages: list[WebPage]) -> list[PageData]:
    data = []
    width = len(FEATURES)
    for page in pages:
        parsed = parse_page(decode_html(page.html), Deadline(600))
        if isinstance(parsed, Finished):
            empty = np.zeros((0, width))
            data.append(PageData(page, None, empty, np.zeros(0), np.zeros(0)))
            continue
        tree, blocks = parsed
        texts = block_texts(tree, blocks)
        truth = _WORD.findall(page.main_content)
        shingles = {tuple(truth[i : i + 4]) for i in range(len(truth) - 3)}
        joined = f" {' '.join(truth)} "
        y = [label(text, shingles, joined) for text in texts]
        words = np.array([len(_WORD.findall(text)) for text in texts], dtype=float)
        weight = np.minimum(words / max(len(truth), 20), 1.0)
        x = features(blocks)
        data.append(PageData(page, parsed, x, np.array(y), weight))
    return data


def _short(values: np.ndarray) -> np.ndarray:
    """Values to 4 significant digits."""
    scale = 10.0 ** (3 - np.floor(np.log10(np.maximum(np.abs(values), 1e-12))))
    return np.round(values * scale) / scale


@dataclass(frozen=True)
class Boosting:
    """Gradient boosting of oblivious trees on the logistic loss (Prokhorenkova et al., CatBoost,
    NeurIPS 2018): every level of a tree splits all its nodes on the (feature, threshold) pair that
    gains most over all of them; candidate thresholds are quantiles of each feature."""

    trees: int = 120
    depth: int = 5
    learning_rate: float = 0.15
    l2: float = 1.0  # L2 penalty on leaf values (XGBoost's lambda)
    bins: int = 48  # candidate thresholds per feature

    def fit(self, x: np.ndarray, y: np.ndarray, weight: np.ndarray, threshold: float) -> BlockModel:
        # Candidate thresholds: quantiles of each feature, to 4 significant digits (a short file).
        quantiles = np.linspace(0, 1, self.bins + 1)[1:-1]
        edges = [np.unique(_short(np.quantile(x[:, f], quantiles))) for f in range(x.shape[1])]
        width = max(len(e) for e in edges) + 1
        binned = np.stack([np.searchsorted(e, x[:, f], side="left") for f, e in enumerate(edges)], axis=1)
        offsets = (binned + np.arange(x.shape[1]) * width).astype(np.int64)
        prior = float(np.average(y, weights=weight))
        baseline = float(np.log(prior / (1 - prior)))
        score = np.full(len(y), baseline)
        feature = np.zeros((self.trees, self.depth), dtype=np.intp)
        cut = np.zeros((self.trees, self.depth))
        value = np.zeros((self.trees, 1 << self.depth))
        for t in range(self.trees):
            p = 1.0 / (1.0 + np.exp(-score))
            grad, hess = (p - y) * weight, np.maximum(p * (1 - p), 1e-6) * weight
            leaf = np.zeros(len(y), dtype=np.int64)
            for level in range(self.depth):
                f, k = self._best_split(offsets, leaf, grad, hess, 1 << level, x.shape[1], width)
                feature[t, level], cut[t, level] = f, edges[f][k]
                leaf = 2 * leaf + (binned[:, f] > k)
            g = np.bincount(leaf, grad, 1 << self.depth)
            h = np.bincount(leaf, hess, 1 << self.depth)
            # Leaf values rounded as they are written, so the trees that follow correct the rounding
            # and the shipped file is exactly the model scored here.
            value[t] = np.round(-self.learning_rate * g / (h + self.l2), 3)
            score += value[t][leaf]
        return BlockModel(FEATURES, round(baseline, 3), feature.ravel(), cut.ravel(), value, threshold)

    def _best_split(self, offsets, leaf, grad, hess, leaves, features, width) -> tuple[int, int]:  # noqa: ANN001
        index = (offsets + (leaf * features * width)[:, None]).ravel()
        size = leaves * features * width
        g = np.bincount(index, np.repeat(grad, features), size).reshape(leaves, features, width)
        h = np.bincount(index, np.repeat(hess, features), size).reshape(leaves, features, width)
        gl, hl = np.cumsum(g, axis=2)[:, :, :-1], np.cumsum(h, axis=2)[:, :, :-1]
        gt, ht = g.sum(axis=2, keepdims=True), h.sum(axis=2, keepdims=True)
        gain = (gl**2 / (hl + self.l2) + (gt - gl) ** 2 / (ht - hl + self.l2)).sum(axis=0)
        f, k = np.unravel_index(int(np.argmax(gain)), gain.shape)
        return int(f), int(k)


BOOSTING = Boosting()


def fit(data: list[PageData], threshold: float = 0.5) -> BlockModel:
    x = np.vstack([d.x for d in data])
    y = (np.concatenate([d.y for d in data]) >= 0.5).astype(float)
    weight = np.concatenate([d.weight for d in data])
    return BOOSTING.fit(x, y, weight, threshold)


def site_folds(data: list[PageData], folds: int) -> list[list[int]]:
    """Pages split into `folds` groups by site, sites dealt largest first to the smallest group."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(data):
        by_site[d.page.site].append(i)
    groups: list[list[int]] = [[] for _ in range(folds)]
    for site in sorted(by_site, key=lambda s: (-len(by_site[s]), s)):
        min(groups, key=len).extend(by_site[site])
    return groups


def cross_validate(data: list[PageData], folds: int) -> dict[int, np.ndarray]:
    """Held-out probabilities for every page, each from a model that never saw its site."""
    probs: dict[int, np.ndarray] = {}
    groups = site_folds(data, folds)
    for held in groups:
        held_set = set(held)
        model = fit([d for i, d in enumerate(data) if i not in held_set and d.parsed])
        for i in held:
            probs[i] = model.probabilities(data[i].x)
    return probs


def score(data: list[PageData], probs: dict[int, np.ndarray], threshold: float) -> tuple[WebTally, dict]:
    total, per_type = WebTally(), defaultdict(WebTally)
    for i, d in enumerate(data):
        text = ""
        if d.parsed:
            tree, blocks = d.parsed
            math_or_code = holding_math_or_code(blocks, tree.delimiters)
            keep = decide(blocks, probs[i], threshold, False, Deadline(600), math_or_code)
            text = render(tree, blocks, keep, "plain", Deadline(600))[0]
        links = link_survival(inline_paragraphs(d.page.html), text)
        for tally in (total, per_type[d.page.page_type]):
            tally.add(d.page, text, 0.0, links)
    return total, per_type


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"train on all pages, write {MODEL_PATH}")
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"retrain on all pages at the shipped threshold, compare bytes with {MODEL_PATH}",
    )
    args = parser.parse_args()
    pages = load_webpages()
    if not pages:
        raise SystemExit("webpages-dev not found (../shared/webpages-dev)")
    data = featurize(pages)
    print(
        f"pages: {len(data)}, sites: {len({d.page.site for d in data})}, "
        f"blocks: {sum(len(d.y) for d in data)}"
    )
    if args.check:  # the shipped model's keep threshold; no cross-validation needed
        threshold = load_model(str(MODEL_PATH)).threshold_keep
        same = MODEL_PATH.read_bytes() == _packed(fit([d for d in data if d.parsed], threshold))
        print(f"rebuilt model {'is byte-identical to' if same else 'DIFFERS from'} {MODEL_PATH}")
        return
    probs = cross_validate(data, args.folds)
    best = (-1.0, THRESHOLDS[0])
    print(f"{args.folds}-fold cross-validation grouped by site:")
    for threshold in THRESHOLDS:
        total, per_type = score(data, probs, threshold)
        row = total.row()
        print(
            f"  keep >= {threshold:.2f}: body F1 {row['body_f1']:.3f} "
            f"(P {row['body_p']:.3f} / R {row['body_r']:.3f})"
            f"  snippets F1 {row['snip_f1']:.3f} (P {row['snip_p']:.3f} / R {row['snip_r']:.3f})"
        )
        best = max(best, (row["body_f1"] + row["snip_f1"], threshold))
    _, per_type = score(data, probs, best[1])
    print(f"per page type at {best[1]:.2f} (pages, body F1, snippet F1):")
    for kind, tally in sorted(per_type.items()):
        row = tally.row()
        print(f"  {kind:<14} {int(row['pages']):>4} {row['body_f1']:.3f} {row['snip_f1']:.3f}")
    if args.write:
        MODEL_PATH.parent.mkdir(exist_ok=True)
        MODEL_PATH.write_bytes(_packed(fit([d for d in data if d.parsed], best[1])))
        print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size} bytes, threshold {best[1]:.2f})")


def _packed(model: BlockModel) -> bytes:
    """The model file: compact JSON, gzipped with a zero timestamp so that a rebuild gives the same bytes."""
    text = json.dumps(model.to_json(), separators=(",", ":")) + "\n"
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


if __name__ == "__main__":
    main()
