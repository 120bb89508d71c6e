"""An index on recommendations' due dates: the data's state reads the latest one before a
day on every request (tracker.freshness), and the feeds the overdue ones (issue 17)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0013_search"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(fields=["due_on"], name="recommendation_due_on_idx"),
        ),
    ]
