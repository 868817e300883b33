"""Which text blocks are main content: the learned block classifier, and five rules around it.

- Math and code are content: a block holding a formula or a code listing is kept unless it sits under
  a navigation, promotion, share or comment hint (menus, footers and sidebars do not typeset math or
  list code; the classifier, trained on web pages, scores the flat documentation pages of GAP and
  others low). Site-grouped cross-validation on webpages-dev: body and snippet F1 unchanged (0.796 /
  0.813); Debian documentation: formulas 0.973 -> 1.000, code blocks 0.983 -> 1.000.
- A section whose first prose after its heading is kept keeps the heading and the near-content blocks
  before that prose (see _lead_sections): manuals' short pages lost their heading and first sentence.
  Site-grouped cross-validation unchanged (0.798 / 0.816 body / snippet F1 at 0.30); 25 of 1,500
  Debian manual pages gain headings (Octave, Maxima, debian-reference).
- Near-content blocks between kept ones are kept (jusText's context rule, see _fill_gaps), unless they
  are mostly links: a share bar or a "previous | next" row between a title and its text is a link list,
  not a gap in the prose. Site-grouped cross-validation 0.796 / 0.813 -> 0.798 / 0.816 body / snippet
  F1 (in sample +0.0025 / +0.0036, within 0.001 for link-density cuts from 0.3 to 0.8); generated
  templates 0.958 -> 0.960.
- Link lists under navigation, share/related or promotion class names go (see _LINK_LIST_HINTS), and
  so does anything under promotion or share class names outside the main content (see _BOX_HINTS).
- With `keep_comments`, blocks of comment sections (class names of comment systems) are kept unless
  they are mostly links. Without it the classifier decides: dropping every comment-classed block cost
  0.006 body F1 in site-grouped cross-validation (forum posts and Q&A answers carry such classes).
"""

from __future__ import annotations

import numpy as np

from pipeline.extract.blocks import (
    HINT_COMMENTS,
    HINT_CONTENT,
    HINT_NAVIGATION,
    HINT_PROMOTION,
    HINT_SOCIAL,
    IN_HEADING,
    IN_MAIN,
    IN_NAV,
    Blocks,
    features,
)
from pipeline.extract.decode import Deadline
from pipeline.extract.math import Delimiters
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
_LINK_BLOCK = 0.5  # a block at least this share link text is a link block (boilerpipe's cut)
# Promotion and share boxes outside the main content (cookie notices, newsletter boxes, share bars) go
# whatever the classifier says. Inside <main>/<article> or a content-named box they stay with the
# classifier: there page builders name content "banner" or "sticky" and WordPress writes a post's
# categories into its classes ("category-cookies"). Dropping them everywhere cost 0.036 body F1 on
# webpages-dev; outside the content, +0.0001 / +0.001 body / snippet F1 in sample (site-grouped
# cross-validation unchanged at 0.796 / 0.813); the templates' cookie notices go.
_BOX_HINTS = HINT_PROMOTION | HINT_SOCIAL
_CONTENT = IN_MAIN | HINT_CONTENT


def choose(blocks: Blocks, settings: ExtractConfig, deadline: Deadline, delimiters: Delimiters) -> set[int]:
    """The blocks to render."""
    model = load_model(settings.block_model or str(MODEL_PATH))
    probs = model.probabilities(features(blocks))
    math_or_code = holding_math_or_code(blocks, delimiters)
    return decide(blocks, probs, model.threshold_keep, settings.keep_comments, deadline, math_or_code)


def holding_math_or_code(blocks: Blocks, delimiters: Delimiters) -> list[bool]:
    """Per block: it holds a lifted formula or code listing, or TeX between the page's math delimiters."""
    lifted, pieces = blocks.lifted, blocks.pieces
    openers = delimiters.openers if delimiters.active else None
    return [
        bool(lifted[b]) or (openers is not None and any(openers.search(piece) for piece in pieces[b]))
        for b in blocks.blocks
    ]


def decide(
    blocks: Blocks,
    probs: np.ndarray,
    threshold: float,
    keep_comments: bool,
    deadline: Deadline,
    math_or_code: list[bool],
) -> set[int]:
    """Blocks whose probability reaches `threshold`, with math and code following their context, every
    unhinted block in `math_or_code` and, with `keep_comments`, the prose of comment sections."""
    order = blocks.blocks
    kept = (probs >= threshold).tolist()
    lifted = [blocks.lifted[b] >= _LIFTED_SHARE * blocks.own[b] for b in order]
    flags, own, own_links = blocks.flags, blocks.own, blocks.own_links
    link_block = [own_links[b] >= _LINK_BLOCK * own[b] for b in order]  # every block has text of its own
    near = [p >= _NEAR and not links for p, links in zip(probs.tolist(), link_block, strict=True)]
    _lead_sections(kept, near, lifted, link_block, [flags[b] & IN_HEADING for b in order])
    _fill_gaps(kept, near, lifted, deadline)
    _follow_context(kept, lifted, deadline)
    for i, b in enumerate(order):
        kept[i] = kept[i] or (math_or_code[i] and not flags[b] & (HINT_COMMENTS | _LINK_LIST_HINTS))
    keep = {
        b
        for b, k, links in zip(order, kept, link_block, strict=True)
        if k and not (flags[b] & _LINK_LIST_HINTS and links)
        and not (flags[b] & _BOX_HINTS and not flags[b] & _CONTENT)
    }
    if keep_comments:
        for b in order:
            if flags[b] & HINT_COMMENTS and own_links[b] <= _COMMENT_LINK_DENSITY * own[b]:
                keep.add(b)
    return keep


def _lead_sections(
    kept: list[bool], near: list[bool], lifted: list[bool], link_block: list[bool], heading: list[int]
) -> None:
    """A section whose prose is kept keeps its heading and the near-content blocks before that prose:
    a manual's short page ("2.7.2 Block Comments", one sentence, a listing, two kept paragraphs) lost
    its heading and first sentence, which no kept block preceded for the gap rule to bridge."""
    n = len(kept)
    for h in range(n):
        if not heading[h] or kept[h] or not near[h]:
            continue
        j = h + 1
        while j < n and not heading[j] and not kept[j] and (near[j] or lifted[j]):
            j += 1
        if j < n and kept[j] and not (heading[j] or lifted[j] or link_block[j]):
            for i in range(h, j):
                kept[i] = True


def _fill_gaps(kept: list[bool], near: list[bool], lifted: list[bool], deadline: Deadline) -> None:
    """jusText's context rule: a run of near-content prose blocks (`near`: probability in [_NEAR,
    threshold), not a link block) whose nearest decided prose blocks on both sides are kept is kept too
    (long documentation pages where the classifier hesitates over whole sections between kept ones)."""
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
    deadline.tick(2 * n)  # one unit per block and direction, charged before the walks
    before, after = [False] * n, [False] * n
    last = False
    for i in range(n):
        before[i] = last
        if decided[i]:
            last = kept[i]
    last = False
    for i in range(n - 1, -1, -1):
        after[i] = last
        if decided[i]:
            last = kept[i]
    return before, after
