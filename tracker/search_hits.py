"""The search's results as readers and the API see them (tracker/search.py finds them):
each document's title and the text around its first match, with the words searched for
marked, in the page's language. On a page in another language than the originals', a
text with a published translation is shown in it (the words marked in the translation),
and each hit says which texts are translations, of what kind, and what the original is.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse

from tracker import translations
from tracker.models import EvidenceLink, Recommendation, SearchDocument, SearchKind, Translation
from tracker.translation_models import original_language, translation_languages

SNIPPET_LENGTH = 200  # characters of a body shown around its first match


def evidence_body(row: dict) -> str:
    parts = (
        row["quote"],
        row["source__author"],
        row["source__publisher"],
        row["source__citation"],
        row["page"],
    )
    return "\n".join(part for part in parts if part)


@dataclass(frozen=True)
class Translated:
    """A hit's text shown in the page's language: the published translation it is made
    of, whether the original changed since (outdated), and the original as the hit shows
    it in the originals' language (highlighted HTML)."""

    translation: Translation
    outdated: bool
    original: str  # HTML

    @property
    def language(self) -> str:
        return self.translation.language

    @property
    def kind(self) -> str:
        return self.translation.kind


@dataclass
class Hit:
    """One result as readers and the API see it, in the page's language: on a page in
    another language than the originals', `title_lang`/`snippet_lang` say which language
    each text is in (None: not a translatable text, or the originals' page), and
    `title_translated`/`snippet_translated` which translation it is (None: the original)."""

    document: SearchDocument
    title_html: str
    snippet_html: str
    url: str
    title_lang: str | None = None
    snippet_lang: str | None = None
    title_translated: Translated | None = None
    snippet_translated: Translated | None = None
    # On a page in the originals' language, when a word searched for is only in a published
    # translation (Japanese searched on an English page): the text around it there.
    in_translation_html: str = ""
    in_translation_lang: str | None = None

    @property
    def kind(self) -> str:
        return self.document.kind

    @property
    def object_id(self) -> int:
        return self.document.object_id

    @property
    def recommendation(self) -> Recommendation:
        return self.document.recommendation

    @property
    def evaluation_id(self) -> int | None:
        return self.document.evaluation_id

    @property
    def report_slug(self) -> str:
        return self.document.recommendation.report.slug

    @property
    def kind_label(self) -> str:
        return SearchKind(self.document.kind).label

    @property
    def translated(self) -> dict[str, Translated]:
        """The texts given in translation, by the API's key."""
        found = {"title": self.title_translated, "snippet": self.snippet_translated}
        return {key: value for key, value in found.items() if value is not None}


def hit(document: SearchDocument, words: tuple[str, ...], language: str) -> Hit:
    recommendation = document.recommendation
    url = reverse("recommendation", args=[recommendation.report.slug, recommendation.slug])
    if document.evaluation_id is not None:
        url += f"#evaluation-{document.evaluation_id}"
    hit = Hit(
        document=document,
        title_html=highlight(document.title or recommendation.code, words),
        snippet_html=snippet(document.body, words),
        url=url,
    )
    if language == original_language():
        _found_in_translation(hit, words)
        return hit
    # A page in another language: each translatable text in its translation where one is
    # published (the words marked in it), else the original, and which it is.
    english = original_language()
    if document.kind == SearchKind.RECOMMENDATION:
        title = translations.translation_of(recommendation, "title")
        body = translations.translation_of(recommendation, "text")
        title_text = f"{recommendation.code} {title.text}" if title else ""
        body_text = body.text if body else ""
        title_original, body_original = recommendation.title, recommendation.text
    elif document.kind == SearchKind.EVALUATION:
        evaluation = document.evaluation
        title = translations.translation_of(evaluation, "wording")
        body = translations.translation_of(evaluation, "narrative")
        title_text = title.text if title else ""
        body_text = body.text if body else ""
        title_original, body_original = evaluation.wording, evaluation.narrative
    else:
        evidence = document.evidence
        title = None
        body = translations.translation_of(evidence, "quote")
        body_text = evidence_body(_evidence_texts(evidence, body.text)) if body else ""
        title_original, body_original = None, evidence.quote
    if title_original is not None and document.title:
        hit.title_lang = language if title else english
        if title:
            hit.title_translated = Translated(
                title, title.is_outdated(title_original), hit.title_html
            )
            hit.title_html = highlight(title_text, words)
    if body_original and hit.snippet_html:
        hit.snippet_lang = language if body else english
        if body:
            hit.snippet_translated = Translated(
                body, body.is_outdated(body_original), hit.snippet_html
            )
            hit.snippet_html = snippet(body_text, words)
    return hit


def _found_in_translation(hit: Hit, words: tuple[str, ...]) -> None:
    """Show where a translation holds a word that the originals lack: otherwise the hit
    would show nothing marked, and not say why it was found."""
    document = hit.document
    original = f"{document.title}\n{document.body}".casefold()
    if all(word.casefold() in original for word in words):
        return
    translated = "\n".join(t for t in (document.translated_title, document.translated_body) if t)
    if not translated:
        return
    hit.in_translation_html = snippet(translated, words)
    languages = translation_languages()
    # The documents hold every language's translations; one language names itself.
    hit.in_translation_lang = languages[0] if len(languages) == 1 else None


def _evidence_texts(evidence: EvidenceLink, quote: str) -> dict:
    """What `evidence_body` reads of an evidence link, with its quote as given."""
    source = evidence.source
    return {
        "quote": quote,
        "source__author": source.author,
        "source__publisher": source.publisher,
        "source__citation": source.citation,
        "page": evidence.page,
    }


# --- Snippets -------------------------------------------------------------------------------


def _pattern(words: Iterable[str]) -> re.Pattern | None:
    words = sorted({word for word in words if word}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def highlight(text: str, words: Iterable[str]) -> str:
    """`text` as HTML: escaped, with each occurrence of a word in `<mark>`."""
    pattern = _pattern(words)
    if pattern is None:
        return html.escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(html.escape(text[last : match.start()]))
        pieces.append(f"<mark>{html.escape(match.group())}</mark>")
        last = match.end()
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)


def snippet(text: str, words: Iterable[str], length: int = SNIPPET_LENGTH) -> str:
    """Up to `length` characters of `text` around its first match, as highlighted HTML,
    with "…" where text is left out."""
    text = " ".join(text.split())
    pattern = _pattern(words)
    found = pattern.search(text) if pattern is not None else None
    start = 0
    if found is not None and found.start() > length // 3:
        start = found.start() - length // 3
        space = text.find(" ", start, found.start())
        start = space + 1 if space != -1 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    shown = highlight(text[start:end], words)
    return ("…" if start > 0 else "") + shown + ("…" if end < len(text) else "")
