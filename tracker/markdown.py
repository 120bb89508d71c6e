"""Markdown for narratives, rendered to HTML that is safe to show anyone.

Editors write Markdown; readers get HTML. Raw HTML in the Markdown is escaped and the
result is sanitized by nh3 (an allow-list sanitizer), so a script, an event handler or a
`javascript:` link in a narrative is neutralized in the preview, the public site and the API.
"""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


class _RawHtmlAsText(Extension):
    """Show HTML typed into a narrative as the text it is, instead of interpreting it.

    Nothing an editor types disappears silently: `<script>` reads as "<script>".
    """

    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def render_markdown(text: str) -> SafeString:
    """Render a narrative's Markdown to sanitized HTML."""
    html = markdown_lib.markdown(
        text or "", extensions=["sane_lists", _RawHtmlAsText()], output_format="html"
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 -- nh3 has just sanitized it with an allow-list
