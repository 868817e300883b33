"""Real-shaped pages (tests/fixtures/pages): the native extractor keeps the content and drops the
boilerplate around it; inline elements inside kept paragraphs keep their text (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pipeline.extract import html_to_text
from pipeline.extract.blocks import is_section_anchor

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page_text(name: str, fmt: str = "plain") -> str:
    return html_to_text((PAGES / f"{name}.html").read_bytes(), fmt=fmt)


def test_long_article_keeps_sections_table_and_list_and_drops_the_site_around_it():
    out = page_text("article")
    for kept in (
        "When the temperature fell to minus twenty degrees",
        "Why efficiency drops in the cold",
        "Modern units use vapour-injection compressors",
        "-10 to -20 °C | 2.0 | 3",
        "Defrost cycles",
        "Keep the drain path free so that melted frost does not refreeze.",
        "The full dataset will be published in the spring",
    ):
        assert kept in out
    for dropped in (
        "We use cookies",
        "Subscribe",
        "Share on Facebook",
        "What the boiler ban means for renters",
        "Ten things nobody tells you about solar panels",
        "All rights reserved",
        "Privacy policy",
    ):
        assert dropped not in out
    md = page_text("article", fmt="markdown")
    assert "## What the measurements show" in md.splitlines()
    assert "| -5 to -10 °C | 2.6 | 1 |" in md.splitlines()


def test_listing_page_keeps_the_description_and_the_cards_not_the_shop_around_them():
    out = page_text("listing")
    for kept in (
        "Trail running shoes trade some cushioning for grip",
        "Canyon Flow waterproof",
        "A waterproof membrane and gaiter hooks",
        "Stiff and protective, with a wide base",
    ):
        assert kept in out
    for dropped in ("Find a store", "My account", "Next page", "Imprint", "Size 43"):
        assert dropped not in out


def test_forum_thread_keeps_every_post_and_its_code_not_the_forum_chrome():
    out = page_text("forum")
    for kept in (
        "My Pi 5 reboots every time I start compiling",
        "Check the cable first.",
        "throttled=0x50005",
        "You were right: with a shorter cable the reboots are gone",
    ):
        assert kept in out
    for dropped in ("Log in", "Community guidelines apply", "Terms of service"):
        assert dropped not in out


def test_docs_page_keeps_text_code_and_table_and_drops_the_sidebar_and_permalinks():
    out = page_text("docs")
    for kept in (
        "Network calls fail for reasons outside your control.",
        "client = Client(retry=Retry(total=5, backoff_factor=0.5))",
        "backoff_factor | 0.2 | Seconds multiplied into the exponential delay",
        "POST requests are not retried unless you list them in allowed_methods",
    ):
        assert kept in out
    for dropped in ("Proxies and TLS", "Search docs", "Built with", "Copyright 2026", "¶"):
        assert dropped not in out
    assert "Configuring retries" in out.splitlines()


ARTICLE_START = (
    "<html><body><header><nav><a href='/'>Home</a> <a href='/tech'>Tech</a></nav></header><main><article>"
    "<h1>Teardown of the new laptop</h1>"
    "<p>The repair shop opened the machine on Tuesday, and the battery comes out with two screws and one "
    "pull tab, which is rare in this class of computer.</p>"
)
ARTICLE_END = (
    "<p>Spare parts are listed on the maker's site at prices close to those of other brands, and the "
    "keyboard can be replaced without removing the logic board.</p></article></main>"
    "<footer><p>Copyright 2026 Gadget Weekly</p></footer></body></html>"
)


@pytest.mark.parametrize(
    "paragraph, sentence",
    [
        (  # the markup of issue 18: a framework's link wrapper with a js_link class
            "<p>We will post a full review once <span class='link js_link' data-track='inline'>"
            "<a href='/teardown'>the teardown is done</a></span>, and until then the pictures speak for "
            "themselves. The new laptop is lighter than the last one.</p>",
            "We will post a full review once the teardown is done, and until then the pictures speak for "
            "themselves. The new laptop is lighter than the last one.",
        ),
        (  # share/social class names on an inline link inside a sentence
            "<p>The <a class='share-link social-share' href='/16-inch'>16-inch laptop with the brighter "
            "screen</a>, as it should for its price, runs cooler than its predecessor under load.</p>",
            "The 16-inch laptop with the brighter screen, as it should for its price, runs cooler than its "
            "predecessor under load.",
        ),
        (  # nav/ad/meta words on inline formatting inside a sentence
            "<p>Battery life reached <strong class='meta nav-highlight'>eleven hours of video "
            "playback</strong> in our <em class='ad-label'>standard loop test</em>, an hour more "
            "than last year.</p>",
            "Battery life reached eleven hours of video playback in our standard loop test, an hour "
            "more than last year.",
        ),
    ],
)
def test_inline_link_text_inside_a_kept_paragraph_survives_class_hints(paragraph, sentence):
    out = html_to_text((ARTICLE_START + paragraph + ARTICLE_END).encode())
    assert sentence in " ".join(out.split())
    assert "Copyright 2026" not in out


def test_hidden_inline_elements_still_go():
    paragraph = (
        "<p>The hinge feels sturdy<span style='display: none'>SECRET-ONE</span> and the lid opens with one "
        "finger<span aria-hidden='true'>SECRET-TWO</span>, which reviewers of the previous model missed"
        "<a hidden href='/x'>SECRET-THREE</a> badly.</p>"
    )
    out = html_to_text((ARTICLE_START + paragraph + ARTICLE_END).encode())
    assert "SECRET" not in out
    assert (
        "The hinge feels sturdy and the lid opens with one finger, which reviewers of the previous model "
        "missed badly." in " ".join(out.split())
    )


def test_react_streamed_segments_are_content_other_hidden_boxes_are_not():
    """React's streaming SSR sends late parts as <div hidden id="S:n"> for a script to move into place
    (four webpages-dev pages carry their whole article that way); any other hidden box stays out."""
    article = ARTICLE_START.split("<main>")[1] + ARTICLE_END.split("</main>")[0]
    html = (
        "<html><body><header><nav><a href='/'>Home</a> <a href='/tech'>Tech</a></nav></header>"
        "<main><template id='B:0'></template></main>"
        "<div hidden id='login'><p>Sign in to keep reading: members get every teardown first and "
        "weekly deals on refurbished laptops.</p></div>"
        f"<div hidden id='S:0'>{article}</div>"
        "<script>$RC('B:0','S:0')</script></body></html>"
    )
    out = " ".join(html_to_text(html.encode()).split())
    assert "the battery comes out with two screws and one pull tab" in out
    assert "the keyboard can be replaced without removing the logic board" in out
    assert "Sign in to keep reading" not in out


def test_a_manual_section_named_after_its_heading_is_not_a_comment_section():
    """Texinfo, DocBook and older Sphinx give a section the slug of its heading as id: a manual's page
    on comments (or cookies, or sharing) is content, where the id once made it a comment section."""
    out = page_text("texinfo-section")  # GNU Octave's manual page as Debian's octave-doc ships it
    assert out.splitlines()[0] == "2.7.2 Block Comments"  # a kept section keeps its heading
    flat = " ".join(out.split())
    assert "Entire blocks of code can be commented by enclosing the code between matching" in flat
    assert 'disp ("Blast Off!"); # Rocket leaves pad' in flat
    assert "must appear alone as the only characters on a line" in flat
    assert "Previous: Single Line Comments" not in flat


@pytest.mark.parametrize(
    "html, anchor",
    [
        ("<div class='subsection' id='Block-Comments'><h4>2.7.2 Block Comments</h4></div>", True),
        ("<div class='section' id='Share'><h3>33.2 Share</h3></div>", True),  # Maxima's manual
        # blogs name comment sections after their heading too: without a generator's section class
        # the id keeps marking comments
        ("<section id='comments'><h2>Comments</h2></section>", False),
        ("<div class='section' id='comments'><h3>Leave a reply</h3></div>", False),
        ("<div class='section' id='comments'><p>Comments</p></div>", False),
    ],
)
def test_a_section_id_is_an_anchor_only_in_a_generator_section_named_after_its_heading(html, anchor):
    el = etree.fromstring(html, etree.HTMLParser()).find("body")[0]
    assert is_section_anchor(el, el.get("id")) is anchor
