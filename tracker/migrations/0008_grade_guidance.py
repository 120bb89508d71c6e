"""Grades' guidance for graders apart from their description for readers, and editions'
copies of the grades and recommendations they show.

`Grade.guidance` is new and empty: the description stays the reader's text (the demo files
move their "Use for wordings such as …" sentences into `guidance` on the next import).

Each edition entry gets a copy of its grade as shown (slug, label, score, colour) and of its
recommendation (code, title), taken from them as they are now for the entries already
frozen, as 0007 did for evaluators.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

GRADE_SNAPSHOT_FIELDS = ("slug", "label", "score", "colour")
RECOMMENDATION_SNAPSHOT_FIELDS = ("code", "title")


def copy_grades_and_recommendations_onto_entries(apps, schema_editor):
    EditionEntry = apps.get_model("tracker", "EditionEntry")
    Evaluation = apps.get_model("tracker", "Evaluation")
    Recommendation = apps.get_model("tracker", "Recommendation")
    evaluation = Evaluation.objects.filter(pk=OuterRef("evaluation_id"))
    recommendation = Recommendation.objects.filter(pk=OuterRef("recommendation_id"))
    EditionEntry.objects.using(schema_editor.connection.alias).update(
        **{
            f"grade_{name}": Subquery(evaluation.values(f"grade__{name}")[:1])
            for name in GRADE_SNAPSHOT_FIELDS
        },
        **{
            f"recommendation_{name}": Subquery(recommendation.values(name)[:1])
            for name in RECOMMENDATION_SNAPSHOT_FIELDS
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0007_freshness"),
    ]

    operations = [
        migrations.AlterField(
            model_name="grade",
            name="description",
            field=models.TextField(
                blank=True,
                help_text="What this level means, for readers: shown on the public pages.",
            ),
        ),
        migrations.AddField(
            model_name="grade",
            name="guidance",
            field=models.TextField(
                blank=True,
                help_text="How graders choose this level (e.g. the wordings it is used for). "
                "Shown apart from the description, under a heading of its own.",
            ),
        ),
        migrations.AddField(
            model_name="editionentry",
            name="grade_slug",
            field=models.SlugField(blank=True),
        ),
        migrations.AddField(
            model_name="editionentry",
            name="grade_label",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="editionentry",
            name="grade_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="editionentry",
            name="grade_colour",
            field=models.CharField(blank=True, max_length=7),
        ),
        migrations.AddField(
            model_name="editionentry",
            name="recommendation_code",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="editionentry",
            name="recommendation_title",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(
            copy_grades_and_recommendations_onto_entries, migrations.RunPython.noop
        ),
    ]
