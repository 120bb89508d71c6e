"""Markdown for narratives, rendered to HTML that is safe to show anyone.

Editors write Markdown; readers get HTML. Raw HTML in the Markdown is escaped and the
result is sanitized by nh3 (an allow-list sanitizer), so a script, an event handler or a
`javascript:` link in a narrative is neutralized in the preview, the public site and the API.
A link to a scheme readers cannot follow (`javascript:`, `data:`, …) is shown as its plain
text, not as a dead link.
"""

import re
import xml.etree.ElementTree as etree

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import NOIMG, LinkInlineProcessor
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# "(javascript:" and the like: a link destination that starts with a scheme.
_SCHEME = re.compile(r"\(\s*<?\s*([A-Za-z][A-Za-z0-9+.\-]*):")
# What the sanitizer drops while keeping its content: a link becomes its text.
_PLAIN = "span"


def _is_followable(href: str) -> bool:
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.\-]*):", href)
    return scheme is None or scheme.group(1).lower() in ALLOWED_URL_SCHEMES


def _destination_end(data: str, index: int) -> int | None:
    """Where the parenthesised destination starting at `index` ends, brackets balanced."""
    depth = 0
    escaped = False
    for position in range(index, len(data)):
        char = data[position]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position + 1
    return None


class _UnfollowableLinkAsText(LinkInlineProcessor):
    """`[text](javascript:…)` becomes the text, the whole destination consumed.

    Markdown's own link syntax would read `javascript:alert('x')` as the address
    `javascript:alert(` with the title `x` and leave the last `)` in the text.
    """

    def handleMatch(
        self, m: re.Match, data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        text, index, handled = self.getText(data, m.end(0))
        scheme = _SCHEME.match(data, index) if handled else None
        if scheme is None or scheme.group(1).lower() in ALLOWED_URL_SCHEMES:
            return None, None, None  # an ordinary link: Markdown's link pattern takes it
        end = _destination_end(data, index)
        if end is None:
            return None, None, None
        element = etree.Element(_PLAIN)
        element.text = text
        return element, m.start(0), end


class _UnfollowableLinksAsText(Treeprocessor):
    """Any other link to such a scheme (reference-style ones) becomes its text too."""

    def run(self, root: etree.Element) -> None:
        for link in root.iter("a"):
            if not _is_followable(link.get("href", "")):
                link.tag = _PLAIN
                link.attrib.clear()


class _RawHtmlAsText(Extension):
    """Show HTML typed into a narrative as the text it is, instead of interpreting it.

    Nothing an editor types disappears silently: `<script>` reads as "<script>".
    """

    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


class _PlainUnfollowableLinks(Extension):
    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
        # Just before Markdown's own link pattern (priority 160).
        md.inlinePatterns.register(
            _UnfollowableLinkAsText(NOIMG + r"\[", md), "unfollowable_link", 161
        )
        md.treeprocessors.register(_UnfollowableLinksAsText(md), "unfollowable_links", 0)


def render_markdown(text: str) -> SafeString:
    """Render a narrative's Markdown to sanitized HTML."""
    html = markdown_lib.markdown(
        text or "",
        extensions=["sane_lists", _RawHtmlAsText(), _PlainUnfollowableLinks()],
        output_format="html",
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 -- nh3 has just sanitized it with an allow-list
