"""Overdue events announced to followers and partners once per recommendation and due date
(issue 17: tracker/overdue.py), and the `recommendation.overdue` webhook event type."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0014_due_on_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookevent',
            name='type',
            field=models.CharField(choices=[('evaluation.published', 'An evaluation was published'), ('evaluation.changed', 'A published evaluation was corrected'), ('evaluation.withdrawn', 'A published evaluation was withdrawn'), ('edition.published', 'An edition was published'), ('recommendation.overdue', 'A recommendation became overdue'), ('webhook.test', 'A test event')], max_length=40),
        ),
        migrations.CreateModel(
            name='OverdueEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('due_on', models.DateField()),
                ('announced_at', models.DateTimeField()),
                ('mailed_at', models.DateTimeField(blank=True, null=True)),
                ('recommendation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tracker.recommendation')),
            ],
            options={
                'ordering': ['due_on', 'recommendation_id'],
                'indexes': [models.Index(condition=models.Q(('mailed_at__isnull', True)), fields=['mailed_at'], name='overdue_event_unmailed')],
                'constraints': [models.UniqueConstraint(fields=('recommendation', 'due_on'), name='overdue_event_once_per_due_date')],
            },
        ),
    ]
