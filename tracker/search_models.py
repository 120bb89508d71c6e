"""What the search reads (issue 18; tracker/search.py writes these, nothing else does).
Part of this app's models, re-exported by tracker.models.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SearchKind(models.TextChoices):
    RECOMMENDATION = "recommendation", _("Recommendation")
    EVALUATION = "evaluation", _("Evaluation")
    EVIDENCE = "evidence", _("Evidence")


class SearchDocument(models.Model):
    """What the search reads of one recommendation, evaluation or piece of evidence (with
    its source's title, author, publisher and citation): a copy kept in step by
    `tracker.search.index`, which every write service and the import call.

    On PostgreSQL the table also has a generated `search_vector` (tsvector, GIN-indexed)
    and a trigram index on the text; on SQLite an FTS5 table (trigram tokenizer) mirrors
    it (migration 0013). `published` says whether anyone who cannot see drafts may find it.

    `translated_title` and `translated_body` hold the published translations of its title's
    and its body's texts (issue 15; every translation language, one a line), searched as
    the originals are (migration 0018); draft translations are not in them.
    """

    kind = models.CharField(max_length=20, choices=SearchKind.choices)
    object_id = models.BigIntegerField(help_text=_("The id of what it is the document of."))
    report = models.ForeignKey("tracker.Report", on_delete=models.CASCADE, related_name="+")
    recommendation = models.ForeignKey(
        "tracker.Recommendation", on_delete=models.CASCADE, related_name="+"
    )
    evaluation = models.ForeignKey(
        "tracker.Evaluation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    evidence = models.ForeignKey(
        "tracker.EvidenceLink", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    published = models.BooleanField()
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    translated_title = models.TextField(blank=True, default="")
    translated_body = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_unique_object"),
            models.CheckConstraint(
                condition=Q(kind__in=SearchKind.values), name="search_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["recommendation", "published"], name="search_rec_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
