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
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Model

from tracker import translations

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
