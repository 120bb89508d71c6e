"""Showing a text of the record in the page's language (issue 15).

`{% translated obj "field" %}` shows, on a page in the original language, exactly what
`{{ obj.field }}` showed; on a page in another language it shows the published translation
that `tracker.translations.attach` read (marked with its language and kind, the original a
step away), or else the original, marked as such, never silently. The tag reads nothing
itself: on a page whose view did not attach the translations, the originals are shown
(marked), and the page's queries stay what its view reads.

Options: `block=True` for long texts (paragraphs: the original in a <details> below);
`paragraph=True` puts a plain text in a <p>; `markdown=True` renders it through the
sanitized Markdown renderer; `quoted=True` puts it between quotation marks. With
`as name` it is kept for a {% blocktranslate %}. `{{ obj|translated_text:"field" }}` is the
plain text alone, for attributes and titles.
"""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from tracker import translations
from tracker.markdown import render_markdown
from tracker.translation_models import TranslationKind, original_language

register = template.Library()


def _kind_short(kind: str) -> str:
    return {
        TranslationKind.OFFICIAL: pgettext("kind of translation, short", "Official translation"),
        TranslationKind.EDITORS: pgettext("kind of translation, short", "Editors' translation"),
        TranslationKind.MACHINE: pgettext("kind of translation, short", "Machine translation"),
    }[kind]


def _kind_sentence(kind: str) -> str:
    return {
        TranslationKind.OFFICIAL: gettext("This is the official translation."),
        TranslationKind.EDITORS: gettext(
            "This is an unofficial translation by the scorecard's editors."
        ),
        TranslationKind.MACHINE: gettext("This is a machine translation."),
    }[kind]


def _outdated_short() -> str:
    return gettext("not updated since the original changed")


def _outdated_sentence() -> str:
    return gettext("The original has changed since; this translation is not updated yet.")


def _original_note() -> str:
    return gettext("Original (English)")


def kind_mark(translation, original: str) -> str:
    """A translation's kind in a few words, and that it is outdated if it is (as the
    pages' notes say it; the feeds and exports say it so too)."""
    short = _kind_short(translation.kind)
    if translation.is_outdated(original):
        return format_html(gettext("{kind}, {outdated}"), kind=short, outdated=_outdated_short())
    return short


def original_note() -> str:
    """What a text shown in its original language says of itself: 原文（英語）."""
    return _original_note()


def _quote(html: str, *, translated: bool, quoted: bool) -> str:
    if not quoted:
        return html
    return f"「{html}」" if translated else f"“{html}”"


def _body(
    text: str, *, lang: str | None, paragraph: bool, markdown: bool, quoted: bool, translated: bool
) -> SafeString:
    """The text as HTML (in a paragraph if asked), with `lang` when given (a language code
    of settings.LANGUAGES: nothing to escape)."""
    if markdown:
        html = render_markdown(text)
        if lang is None:
            return html
        return SafeString(f'<div lang="{lang}">{html}</div>')
    html = _quote(conditional_escape(text), translated=translated, quoted=quoted)
    attribute = f' lang="{lang}"' if lang is not None else ""
    if paragraph:
        return SafeString(f"<p{attribute}>{html}</p>")
    if lang is None:
        return SafeString(html)
    return SafeString(f"<span{attribute}>{html}</span>")


# A page shows a hundred translated titles whose notes differ only by the original they
# name: the notes' fixed parts are made once per language, kind and state (gettext and
# format_html for each of them were most of what a Japanese page cost over English). Each is
# a pair, what comes before the escaped original and what after; `_ORIGINAL` marks its place.
_ORIGINAL = mark_safe("\x00")  # a fixed marker, never shown: split off
_notes: dict[tuple, tuple[str, str]] = {}


def note_around_original(language: str, kind: str, outdated: bool, block: bool) -> tuple[str, str]:
    """A translation's note: the HTML before the escaped original and after it (also the
    search's hits' mark, scorecard_search)."""
    key = (language, kind, outdated, block)
    if key not in _notes:
        short = _kind_short(kind)
        sentence = _kind_sentence(kind)
        if outdated:
            short = format_html(
                gettext("{kind}, {outdated}"), kind=short, outdated=_outdated_short()
            )
            sentence = format_html(
                gettext("{sentence} {outdated}"), sentence=sentence, outdated=_outdated_sentence()
            )
        if block:
            made = format_html(
                '<p class="translation-note"><small>{}<span class="visually-hidden">: {}</span>'
                "</small></p>"
                '<details class="translation-original"><summary>{}</summary>{}</details>',
                short,
                sentence,
                gettext("Original"),
                _ORIGINAL,
            )
        else:
            made = format_html(
                ' <small class="translation-note"><span aria-hidden="true">{}</span>'
                '<span class="visually-hidden">{}</span></small>',
                short,
                format_html(
                    gettext("{sentence} Original: {original}"),
                    sentence=sentence,
                    original=format_html(
                        '<span lang="{}">{}</span>', original_language(), _ORIGINAL
                    ),
                ),
            )
        before, after = made.split(_ORIGINAL)
        _notes[key] = (before, after)
    return _notes[key]


def untranslated_note(language: str, block: bool) -> str:
    """What an original shown untranslated says of itself, after it."""
    key = (language, block)
    if key not in _notes:
        if block:
            made = format_html(
                '<p class="translation-note"><small>{}</small></p>', _original_note()
            )
        else:
            made = format_html(' <small class="translation-note">{}</small>', _original_note())
        _notes[key] = (made, "")
    return _notes[key][0]


@register.simple_tag
def translated(
    obj,
    field: str,
    *,
    block: bool = False,
    paragraph: bool = False,
    markdown: bool = False,
    quoted: bool = False,
) -> SafeString:
    original = getattr(obj, field, "") if obj is not None else ""
    original = "" if original is None else str(original)
    language = translations.language_of_page()
    options = {"paragraph": paragraph, "markdown": markdown, "quoted": quoted}
    english = original_language()
    if language == english or not original:
        return _body(original, lang=None, translated=False, **options)
    translation = translations.translation_of(obj, field)
    block = block or markdown
    if translation is None:
        shown = _body(original, lang=english, translated=False, **options)
        return SafeString(shown + untranslated_note(language, block))
    shown = _body(translation.text, lang=language, translated=True, **options)
    before, after = note_around_original(
        language, translation.kind, translation.is_outdated(original), block
    )
    if block:
        kept = _body(original, lang=english, translated=False, **options)
    else:
        kept = conditional_escape(original)
    return SafeString(shown + before + kept + after)


@register.filter
def translated_text(obj, field: str) -> str:
    """The text alone (translation or original), for attributes, titles and feeds."""
    return translations.text_of(obj, field)


@register.filter
def translated_lang(obj, field: str) -> SafeString:
    """` lang="…"` of the text `translated_text` gives, for an element holding it alone (a
    badge); nothing on a page in the original language, which is the page's own."""
    if translations.in_original_language() or obj is None:
        return mark_safe("")
    language = (
        translations.language_of_page()
        if translations.translation_of(obj, field) is not None
        else original_language()
    )
    return format_html(' lang="{}"', language)
