"""The search's documents, and each engine's index of them.

PostgreSQL: a generated tsvector (title weighted A, body B; the `simple` configuration, so
no language's stemming decides what matches), GIN-indexed, for ranking; and a pg_trgm GIN
index on the text, so that a word is found inside longer words and in text whose words are
not separated by spaces (Japanese). SQLite: an FTS5 table with the trigram tokenizer
(SQLite 3.34 and later), rowid = the document's id, written beside the table by
tracker.search. Other engines get the plain table (the search then scans it).
"""

import django.db.models.deletion
from django.db import migrations, models


POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE tracker_searchdocument ADD COLUMN search_vector tsvector
       GENERATED ALWAYS AS (
           setweight(to_tsvector('simple', title), 'A')
           || setweight(to_tsvector('simple', body), 'B')
       ) STORED""",
    "CREATE INDEX search_vector_idx ON tracker_searchdocument USING gin (search_vector)",
    """CREATE INDEX search_trigram_idx ON tracker_searchdocument
       USING gin ((title || ' ' || body) gin_trgm_ops)""",
]
POSTGRESQL_BACK = [
    "DROP INDEX IF EXISTS search_trigram_idx",
    "DROP INDEX IF EXISTS search_vector_idx",
    "ALTER TABLE tracker_searchdocument DROP COLUMN IF EXISTS search_vector",
]
SQLITE = [
    "CREATE VIRTUAL TABLE tracker_searchdocument_fts USING fts5(title, body, tokenize='trigram')"
]
SQLITE_BACK = ["DROP TABLE IF EXISTS tracker_searchdocument_fts"]


def _run(statements: dict):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


forwards = _run({"postgresql": POSTGRESQL, "sqlite": SQLITE})
backwards = _run({"postgresql": POSTGRESQL_BACK, "sqlite": SQLITE_BACK})


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0012_subscriptions'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('recommendation', 'Recommendation'), ('evaluation', 'Evaluation'), ('evidence', 'Evidence')], max_length=20)),
                ('object_id', models.BigIntegerField(help_text='The id of what it is the document of.')),
                ('published', models.BooleanField()),
                ('title', models.TextField(blank=True)),
                ('body', models.TextField(blank=True)),
                ('evaluation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tracker.evaluation')),
                ('evidence', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tracker.evidencelink')),
                ('recommendation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tracker.recommendation')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tracker.report')),
            ],
            options={
                'indexes': [models.Index(fields=['recommendation', 'published'], name='search_rec_idx')],
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_id'), name='search_unique_object'), models.CheckConstraint(condition=models.Q(('kind__in', ['recommendation', 'evaluation', 'evidence'])), name='search_kind_valid')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]

