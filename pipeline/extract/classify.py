"""Which text blocks are main content: the learned block classifier, and four rules around it.

- Math and code follow their context: a block that is mostly a formula or a code listing is kept
  when the nearest prose block before or after it is kept (the classifier sees little of a formula,
  and a documentation page can hold more code than prose).
- Near-content blocks between kept ones are kept (jusText's context rule, see _fill_gaps).
- Link lists under navigation, share/related or promotion class names go (see _LINK_LIST_HINTS).
- With `keep_comments`, blocks of comment sections (class names of comment systems) are kept unless
  they are mostly links. Without it the classifier decides: dropping every comment-classed block cost
  0.006 body F1 in site-grouped cross-validation (forum posts and Q&A answers carry such classes).
"""

from __future__ import annotations

import numpy as np

from pipeline.extract.blocks import (
    HINT_COMMENTS,
    HINT_NAVIGATION,
    HINT_PROMOTION,
    HINT_SOCIAL,
    IN_NAV,
    Blocks,
    features,
)
from pipeline.extract.decode import Deadline
from pipeline.extract.model import MODEL_PATH, load_model
from schemas.config import ExtractConfig

_LIFTED_SHARE = 0.5  # a block whose text is at least this share math or code follows its context
_COMMENT_LINK_DENSITY = 0.5  # comment blocks above this link density are navigation (boilerpipe)
# A block that is mostly links under a navigation, share/related or promotion hint is a link list
# (menus, share bars, related posts) whatever the classifier says: in site-grouped cross-validation this
# rule moved body F1 by -0.001 and snippet F1 by +0.002 (neutral on real pages), and it removes the share
# bars and related-post lists the classifier keeps on small pages. Half links: boilerpipe's cut.
_NEAR = 0.15  # jusText's "near-good": kept between kept blocks (see _fill_gaps)
_LINK_LIST_HINTS = HINT_NAVIGATION | HINT_SOCIAL | HINT_PROMOTION | IN_NAV
_HINTED_LINK_DENSITY = 0.5


def choose(blocks: Blocks, settings: ExtractConfig, deadline: Deadline) -> set[int]:
    """The blocks to render."""
    model = load_model(settings.block_model or str(MODEL_PATH))
    probs = model.probabilities(features(blocks))
    return decide(blocks, probs, model.threshold_keep, settings.keep_comments, deadline)


def decide(
    blocks: Blocks, probs: np.ndarray, threshold: float, keep_comments: bool, deadline: Deadline
) -> set[int]:
    """Blocks whose probability reaches `threshold`, with math and code following their context and,
    with `keep_comments`, the prose of comment sections."""
    order = blocks.blocks
    kept = (probs >= threshold).tolist()
    lifted = [blocks.lifted[b] >= _LIFTED_SHARE * blocks.own[b] for b in order]
    _fill_gaps(kept, (probs >= _NEAR).tolist(), lifted, deadline)
    _follow_context(kept, lifted, deadline)
    flags, own, own_links = blocks.flags, blocks.own, blocks.own_links
    keep = {
        b
        for b, k in zip(order, kept, strict=True)
        if k and not (flags[b] & _LINK_LIST_HINTS and own_links[b] >= _HINTED_LINK_DENSITY * own[b])
    }
    if keep_comments:
        for b in order:
            if flags[b] & HINT_COMMENTS and own_links[b] <= _COMMENT_LINK_DENSITY * own[b]:
                keep.add(b)
    return keep


def _fill_gaps(kept: list[bool], near: list[bool], lifted: list[bool], deadline: Deadline) -> None:
    """jusText's context rule: a run of near-content prose blocks (probability in [_NEAR, threshold))
    whose nearest decided prose blocks on both sides are kept is kept too (long documentation pages
    where the classifier hesitates over whole sections between kept ones)."""
    decided = [not m and (k or not n) for k, n, m in zip(kept, near, lifted, strict=True)]
    before, after = _nearest_kept(kept, decided, deadline)
    for i, sure in enumerate(decided):
        if not sure and not lifted[i] and before[i] and after[i]:
            kept[i] = True


def _follow_context(kept: list[bool], lifted: list[bool], deadline: Deadline) -> None:
    """Keep every math or code block whose nearest prose block on either side is kept."""
    before, after = _nearest_kept(kept, [not m for m in lifted], deadline)
    for i, math_or_code in enumerate(lifted):
        if math_or_code:
            kept[i] = kept[i] or before[i] or after[i]


def _nearest_kept(kept: list[bool], decided: list[bool], deadline: Deadline) -> tuple[list[bool], list[bool]]:
    """For every block: whether the nearest decided block before it, and after it, is kept."""
    n = len(kept)
    before, after = [False] * n, [False] * n
    last = False
    for i in range(n):
        deadline.tick()
        before[i] = last
        if decided[i]:
            last = kept[i]
    last = False
    for i in range(n - 1, -1, -1):
        deadline.tick()
        after[i] = last
        if decided[i]:
            last = kept[i]
    return before, after
