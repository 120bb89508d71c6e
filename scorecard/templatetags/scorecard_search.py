"""The search's results on a page in another language than the originals' (issue 15):
the mark after a text of a hit (tracker.search_hits.Hit), as `{% translated %}` marks a
text elsewhere: the kind of translation it is (and whether it is outdated), the original
named for screen readers; or, for an original shown untranslated, "Original (English)".
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from scorecard.templatetags.scorecard_translations import (
    _kind_sentence,
    _kind_short,
    _original_note,
    _outdated_sentence,
    _outdated_short,
)
from tracker.search_hits import Translated
from tracker.translation_models import original_language

register = template.Library()


@register.simple_tag
def hit_translation_mark(translated: Translated | None) -> SafeString:
    """The mark after a hit's title or snippet: `translated` is what it is a translation
    of (None: the text shown is the original)."""
    if translated is None:
        return format_html(' <small class="translation-note">{}</small>', _original_note())
    short = _kind_short(translated.kind)
    sentence = _kind_sentence(translated.kind)
    if translated.outdated:
        short = format_html(gettext("{kind}, {outdated}"), kind=short, outdated=_outdated_short())
        sentence = format_html(
            gettext("{sentence} {outdated}"), sentence=sentence, outdated=_outdated_sentence()
        )
    # The original as the hit would show it in English: escaped, the words marked.
    original = mark_safe(translated.original)  # noqa: S308 -- built by search_hits.highlight
    return format_html(
        ' <small class="translation-note"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></small>',
        short,
        format_html(
            gettext("{sentence} Original: {original}"),
            sentence=sentence,
            original=format_html('<span lang="{}">{}</span>', original_language(), original),
        ),
    )
