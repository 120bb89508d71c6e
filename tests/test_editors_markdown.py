"""Narratives: Markdown in, HTML that cannot run anything out."""

from html.parser import HTMLParser

import pytest

from tracker.markdown import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<object data=x></object><embed src=x>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '[x](https://example.org "t" onmouseover="alert(1)")',
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    "<!--><script>alert(1)</script>-->",
    "<<script>script>alert(1)<</script>/script>",
]

SAFE_TAGS = {"p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
             "a", "h3", "h4", "h5", "h6", "sup", "sub"}  # fmt: skip
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class Elements(HTMLParser):
    """The elements a browser would build from the HTML, with their attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("attack", XSS)
def test_nothing_executable_survives(attack):
    html = render_markdown(attack)
    # Browsers and Python's parser disagree about comments; allow none at all.
    assert "<!" not in html
    assert "<script" not in html.lower()
    for tag, attributes in Elements(html).found:
        assert tag in SAFE_TAGS, tag
        assert set(attributes) <= {"href", "title", "rel"}, attributes
        href = (attributes.get("href") or "https:").strip().lower()
        assert href.startswith(SAFE_SCHEMES), href


def test_html_typed_into_a_narrative_is_shown_as_text():
    assert render_markdown("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_a_javascript_link_reads_as_its_plain_words():
    # Not a dead "link" (an <a> without href, styled as a link, that goes nowhere).
    assert render_markdown("See [read this](javascript:alert(1)) first.") == (
        "<p>See read this first.</p>"
    )


def test_a_javascript_link_with_a_quoted_argument_leaves_no_stray_bracket():
    # Markdown alone reads `alert('x')` as the address `alert(` titled "x", and leaves ")".
    assert render_markdown("Do [**this**](javascript:alert('x')) now.") == (
        "<p>Do <strong>this</strong> now.</p>"
    )


@pytest.mark.parametrize(
    "text",
    [
        "[the plan](JavaScript:void(0))",
        "[the plan](data:text/html,hi)",
        "[the plan](vbscript:msgbox(1))",
        "[the plan][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_links_readers_cannot_follow_read_as_text(text):
    assert render_markdown(text) == "<p>the plan</p>"


def test_links_readers_can_follow_stay_links():
    assert render_markdown("[a](https://en.wikipedia.org/wiki/A_(b)) [b](/reports/x/)") == (
        '<p><a href="https://en.wikipedia.org/wiki/A_(b)" rel="nofollow noopener noreferrer">'
        'a</a> <a href="/reports/x/" rel="nofollow noopener noreferrer">b</a></p>'
    )


def test_ordinary_markdown_survives():
    text = (
        "The allies made *real* progress on **missile defense**; see "
        "[the review](https://example.org/review).\n\n"
        "- host-nation support\n- joint training\n\n"
        "1. first\n2. second\n\n"
        "> quoted passage\n\n"
        "Mail [us](mailto:editors@example.org), use `code`."
    )
    assert render_markdown(text) == (
        "<p>The allies made <em>real</em> progress on <strong>missile defense</strong>; see "
        '<a href="https://example.org/review" rel="nofollow noopener noreferrer">the review</a>.'
        "</p>\n"
        "<ul>\n<li>host-nation support</li>\n<li>joint training</li>\n</ul>\n"
        "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"
        "<blockquote>\n<p>quoted passage</p>\n</blockquote>\n"
        '<p>Mail <a href="mailto:editors@example.org" rel="nofollow noopener noreferrer">us</a>, '
        "use <code>code</code>.</p>"
    )


def test_ampersands_and_angle_brackets_in_prose_read_as_written():
    assert render_markdown("U.S. & Japan: 5 < 6 > 4") == "<p>U.S. &amp; Japan: 5 &lt; 6 &gt; 4</p>"


def test_empty_narrative_renders_nothing():
    assert render_markdown("") == ""
