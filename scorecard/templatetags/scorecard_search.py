"""The search's results on a page in another language than the originals' (issue 15):
the mark after a text of a hit (tracker.search_hits.Hit), as `{% translated %}` marks a
text elsewhere: the kind of translation it is (and whether it is outdated), the original
named for screen readers; or, for an original shown untranslated, "Original (English)".
"""

from django import template
from django.utils.safestring import SafeString

from scorecard.templatetags.scorecard_translations import note_around_original, untranslated_note
from tracker import translations
from tracker.search_hits import Translated

register = template.Library()


@register.simple_tag
def hit_translation_mark(translated: Translated | None) -> SafeString:
    """The mark after a hit's title or snippet: `translated` is what it is a translation
    of (None: the text shown is the original)."""
    language = translations.language_of_page()
    if translated is None:
        return SafeString(untranslated_note(language, block=False))
    before, after = note_around_original(
        language, translated.kind, translated.outdated, block=False
    )
    # The original as the hit would show it in English: escaped (search_hits.highlight),
    # the words marked.
    return SafeString(before + translated.original + after)
