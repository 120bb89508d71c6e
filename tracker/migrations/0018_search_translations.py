"""The search finds the published translations too (issue 15): each document holds the
published translations of its title's and its body's texts, and each engine's index
covers them.

PostgreSQL: the trigram index and the generated tsvector are made again over the four
texts (a generated column's expression cannot be altered: it is dropped and added again).
SQLite: the FTS5 table is made again with the two new columns and filled from the
documents. The documents already written get their translations here, as
tracker.search would write them.
"""

from collections import defaultdict

from django.db import migrations, models

POSTGRESQL = [
    "DROP INDEX IF EXISTS search_trigram_idx",
    "DROP INDEX IF EXISTS search_vector_idx",
    "ALTER TABLE tracker_searchdocument DROP COLUMN IF EXISTS search_vector",
    """ALTER TABLE tracker_searchdocument ADD COLUMN search_vector tsvector
       GENERATED ALWAYS AS (
           setweight(to_tsvector('simple', title), 'A')
           || setweight(to_tsvector('simple', body), 'B')
           || setweight(to_tsvector('simple', translated_title), 'A')
           || setweight(to_tsvector('simple', translated_body), 'B')
       ) STORED""",
    "CREATE INDEX search_vector_idx ON tracker_searchdocument USING gin (search_vector)",
    """CREATE INDEX search_trigram_idx ON tracker_searchdocument USING gin ((
           title || ' ' || body || ' ' || translated_title || ' ' || translated_body
       ) gin_trgm_ops)""",
]
POSTGRESQL_BACK = [
    "DROP INDEX IF EXISTS search_trigram_idx",
    "DROP INDEX IF EXISTS search_vector_idx",
    "ALTER TABLE tracker_searchdocument DROP COLUMN IF EXISTS search_vector",
    """ALTER TABLE tracker_searchdocument ADD COLUMN search_vector tsvector
       GENERATED ALWAYS AS (
           setweight(to_tsvector('simple', title), 'A')
           || setweight(to_tsvector('simple', body), 'B')
       ) STORED""",
    "CREATE INDEX search_vector_idx ON tracker_searchdocument USING gin (search_vector)",
    """CREATE INDEX search_trigram_idx ON tracker_searchdocument
       USING gin ((title || ' ' || body) gin_trgm_ops)""",
]
SQLITE = [
    "DROP TABLE IF EXISTS tracker_searchdocument_fts",
    """CREATE VIRTUAL TABLE tracker_searchdocument_fts
       USING fts5(title, body, translated_title, translated_body, tokenize='trigram')""",
    """INSERT INTO tracker_searchdocument_fts (rowid, title, body, translated_title,
       translated_body) SELECT id, title, body, translated_title, translated_body
       FROM tracker_searchdocument""",
]
SQLITE_BACK = [
    "DROP TABLE IF EXISTS tracker_searchdocument_fts",
    "CREATE VIRTUAL TABLE tracker_searchdocument_fts USING fts5(title, body, tokenize='trigram')",
    """INSERT INTO tracker_searchdocument_fts (rowid, title, body)
       SELECT id, title, body FROM tracker_searchdocument""",
]

# Translated model → (the documents' kind, the field whose translation goes in the
# document's title, those whose translations go in its body), as tracker.search has it.
DOCUMENT_TEXTS = {
    "recommendation": ("recommendation", ("title",), ("text",)),
    "evaluation": ("evaluation", ("wording",), ("narrative",)),
    "evidencelink": ("evidence", (), ("quote",)),
}


def fill_translations(apps, schema_editor):
    Translation = apps.get_model("tracker", "Translation")
    SearchDocument = apps.get_model("tracker", "SearchDocument")
    texts: dict[tuple[str, int], dict[str, list[str]]] = defaultdict(
        lambda: {"title": [], "body": []}
    )
    rows = (
        Translation.objects.filter(
            status="published",
            content_type__app_label="tracker",
            content_type__model__in=list(DOCUMENT_TEXTS),
        )
        .order_by("language")
        .values_list("content_type__model", "object_id", "field", "text")
    )
    for model_name, object_id, field, text in rows:
        kind, title_fields, body_fields = DOCUMENT_TEXTS[model_name]
        # In the fields' order within a language, as tracker.search joins them.
        if field in title_fields:
            texts[(kind, object_id)]["title"].append(text)
        elif field in body_fields:
            texts[(kind, object_id)]["body"].append(text)
    ids = sorted({object_id for _kind, object_id in texts})
    for start in range(0, len(ids), 500):
        changed = []
        for document in SearchDocument.objects.filter(object_id__in=ids[start : start + 500]).only(
            "kind", "object_id"
        ):
            found = texts.get((document.kind, document.object_id))
            if found is None:
                continue
            document.translated_title = "\n".join(found["title"])
            document.translated_body = "\n".join(found["body"])
            changed.append(document)
        SearchDocument.objects.bulk_update(changed, ["translated_title", "translated_body"])


def _run(statements: dict):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def forwards(apps, schema_editor):
    fill_translations(apps, schema_editor)
    _run({"postgresql": POSTGRESQL, "sqlite": SQLITE})(apps, schema_editor)


backwards = _run({"postgresql": POSTGRESQL_BACK, "sqlite": SQLITE_BACK})


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0017_translations"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="translated_title",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="translated_body",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(forwards, backwards),
    ]
