"""The CSV exports' texts in another language (issue 15): beside each original, never
instead of it.

A CSV file is read by programs and by researchers who quote the record: its header row is
machine column names, the same in every language (partners' scripts read them), and each
text column keeps the original, verbatim. In another language, each text column is
followed by two more, named after it and the language: `title_ja`, the published
translation (empty when there is none: the original is then the only text), and
`title_ja_kind`, what kind of translation it is (`official`, `editors`, `machine`; with
`;outdated` when the original changed after it was made). The English files are what they
always were, and read nothing more. docs/exports.md lists the columns.

The long files (every evaluation, all the evidence) read the translations in their own
query, one subquery per text column, so they stream as flat as in English (but through
the csv module: PostgreSQL's COPY writes the English ones).
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat

from tracker import translations
from tracker.translation_models import Translation, digest

# A translated column: which of a row's objects holds the text, and in which field.
TextColumns = Mapping[str, tuple[str, str]]


def header(columns: Sequence[str], texts: TextColumns, language: str | None = None) -> list[str]:
    """The header row: `columns`, each text column followed by its translation's two."""
    if translations.in_original_language(language):
        return list(columns)
    language = translations.language_of_page(language)
    named: list[str] = []
    for column in columns:
        named.append(column)
        if column in texts:
            named += [f"{column}_{language}", f"{column}_{language}_kind"]
    return named


def cells(
    columns: Sequence[str], texts: TextColumns, row: list[Any], objects: Mapping[str, Model | None]
) -> list[Any]:
    """`row` (one cell per column) with the translations of its text columns, read from
    `objects` (by the names `texts` gives) once `translations.attach` has read them."""
    if translations.in_original_language():
        return row
    made: list[Any] = []
    for column, cell in zip(columns, row, strict=True):
        made.append(cell)
        if column in texts:
            holder, field = texts[column]
            made += _translation_cells(objects.get(holder), field)
    return made


def _translation_cells(obj: Model | None, field: str) -> list[str]:
    found = translations.translation_of(obj, field)
    if found is None:
        return ["", ""]
    kind = found.kind
    if found.is_outdated(getattr(obj, field, "") or ""):
        kind = f"{kind};outdated"
    return [found.text, kind]


def attach(objects: Iterable[Model | None], **options: Any) -> None:
    """The published translations of the rows' objects, in one query (none in English)."""
    if translations.in_original_language():
        return
    translations.attach(objects, **options)


# --- The long files (every evaluation, all the evidence), streamed ---------------------------

# A streamed file's translated column: the path (in the file's query) of the id of the object
# holding the text, that object's model, and its field.
StreamedTexts = Mapping[str, tuple[str, type[Model], str]]


def _read_with_rows(path: str, model: type[Model], field: str, language: str) -> Subquery:
    """The published translation of `model.field` for each row's object, as one text: its
    kind, the digest of its original (neither has spaces), then the translation."""
    found = Translation.objects.published().filter(
        content_type_id=ContentType.objects.get_for_model(model).pk,
        object_id=OuterRef(path),
        field=field,
        language=language,
    )
    return Subquery(
        found.annotate(
            packed=Concat(
                "kind", Value(" "), "original_digest", Value(" "), "text", output_field=TextField()
            )
        ).values("packed")[:1]
    )


def streamed_rows(
    queryset: QuerySet,
    fields: Sequence[str],
    columns: Sequence[str],
    texts: StreamedTexts,
    *,
    first: str,
    chunk_size: int,
) -> Iterator[list[Any]]:
    """The rows of the values_list `queryset` of `fields` (after a column holding `first`;
    `columns` names them all), each text column followed by its translation's two cells,
    read in the same query (one subquery per text column) and streamed from a cursor."""
    language = translations.language_of_page()
    reads = {
        f"translation_{index}": _read_with_rows(*texts[column], language)
        for index, column in enumerate(columns)
        if column in texts
    }
    rows = queryset.annotate(**reads).values_list(*fields, *reads)
    translated = [column in texts for column in columns]
    for values in rows.iterator(chunk_size=chunk_size):
        packed = iter(values[len(fields) :])
        row: list[Any] = []
        for cell, has_translation in zip([first, *values[: len(fields)]], translated, strict=True):
            row.append(cell)
            if has_translation:
                row += _unpacked(next(packed), cell or "")
        yield row


def _unpacked(packed: str | None, original: str) -> list[str]:
    if packed is None:
        return ["", ""]
    kind, original_digest, text = packed.split(" ", 2)
    if original_digest != digest(original):
        kind = f"{kind};outdated"
    return [text, kind]
