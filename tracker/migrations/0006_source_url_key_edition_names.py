# One source per URL and one name per edition of a report, held by the database.
#
# Existing rows are made to fit first. A URL shared by several sources (two editors adding it
# at the same moment could do that before) keeps its key on the oldest source only; the
# others keep their URL without a key and are listed, to be merged by an editor. An edition
# whose name repeats an earlier edition's of the same report gets its date added to the name.

import urllib.parse

from django.db import migrations, models


def url_key(url):
    # tracker.rules.source_url_key as of this migration (a migration keeps its own copy).
    url = (url or "").strip()
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and parts.netloc:
        url = urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), *parts[2:]))
    return url.rstrip("/")


def fill_url_keys(apps, schema_editor):
    Source = apps.get_model("tracker", "Source")
    owner = {}
    for source in Source.objects.exclude(url="").order_by("pk").only("pk", "url", "key"):
        key = url_key(source.url)
        if key in owner:
            print(
                f"\n  source {source.key!r} has the URL of {owner[key]!r}: left without a "
                f"URL key; merge the two in the admin"
            )
            continue
        owner[key] = source.key
        Source.objects.filter(pk=source.pk).update(url_key=key)


def tell_editions_apart(apps, schema_editor):
    Edition = apps.get_model("tracker", "Edition")
    taken = set()
    for edition in Edition.objects.order_by("report_id", "published_at", "created_at", "pk"):
        name = edition.name
        if (edition.report_id, name) in taken:
            name = f"{edition.name} (as of {edition.as_of.isoformat()})"
            n = 2
            while (edition.report_id, name) in taken:
                name = f"{edition.name} (as of {edition.as_of.isoformat()}, {n})"
                n += 1
            name = name[:200]
            Edition.objects.filter(pk=edition.pk).update(name=name)
            print(f"\n  edition {edition.slug!r} renamed to {name!r}: its name was taken")
        taken.add((edition.report_id, name))


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0005_source_updated_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsource",
            name="url_key",
            field=models.CharField(blank=True, editable=False, max_length=1000),
        ),
        migrations.AddField(
            model_name="source",
            name="url_key",
            field=models.CharField(blank=True, editable=False, max_length=1000),
        ),
        migrations.RunPython(fill_url_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.UniqueConstraint(
                condition=models.Q(("url_key", ""), _negated=True),
                fields=("url_key",),
                name="source_unique_url",
            ),
        ),
        migrations.RunPython(tell_editions_apart, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="edition",
            constraint=models.UniqueConstraint(
                fields=("report", "name"), name="edition_unique_name_per_report"
            ),
        ),
    ]
