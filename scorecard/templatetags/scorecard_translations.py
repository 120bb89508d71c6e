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


def _quote(text: SafeString, *, translated: bool, quoted: bool) -> SafeString:
    if not quoted:
        return text
    if translated:
        return format_html("「{}」", text)
    return format_html("“{}”", text)


def _body(
    text: str, *, lang: str | None, paragraph: bool, markdown: bool, quoted: bool, translated: bool
) -> SafeString:
    """The text as HTML (in a paragraph if asked), with `lang` when given."""
    if markdown:
        html = render_markdown(text)
        if lang is None:
            return html
        return format_html('<div lang="{}">{}</div>', lang, html)
    html = _quote(conditional_escape(text), translated=translated, quoted=quoted)
    if paragraph:
        if lang is None:
            return format_html("<p>{}</p>", html)
        return format_html('<p lang="{}">{}</p>', lang, html)
    if lang is None:
        return html
    return format_html('<span lang="{}">{}</span>', lang, html)


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
    if language == original_language() or not original:
        return _body(original, lang=None, translated=False, **options)
    translation = translations.translation_of(obj, field)
    english = original_language()
    if translation is None:
        shown = _body(original, lang=english, translated=False, **options)
        if block or markdown:
            return format_html(
                '{}<p class="translation-note"><small>{}</small></p>', shown, _original_note()
            )
        return format_html('{} <small class="translation-note">{}</small>', shown, _original_note())
    outdated = translation.is_outdated(original)
    shown = _body(translation.text, lang=language, translated=True, **options)
    short = _kind_short(translation.kind)
    sentence = _kind_sentence(translation.kind)
    if outdated:
        short = format_html(gettext("{kind}, {outdated}"), kind=short, outdated=_outdated_short())
        sentence = format_html(
            gettext("{sentence} {outdated}"), sentence=sentence, outdated=_outdated_sentence()
        )
    if block or markdown:
        return format_html(
            '{}<p class="translation-note"><small>{}<span class="visually-hidden">: {}</span>'
            "</small></p>"
            '<details class="translation-original"><summary>{}</summary>{}</details>',
            shown,
            short,
            sentence,
            gettext("Original"),
            _body(original, lang=english, translated=False, **options),
        )
    return format_html(
        '{} <small class="translation-note"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></small>',
        shown,
        short,
        format_html(
            gettext("{sentence} Original: {original}"),
            sentence=sentence,
            original=format_html('<span lang="{}">{}</span>', english, original),
        ),
    )


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
