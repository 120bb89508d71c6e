"""The grade scales and their levels (progress levels, letter grades: scales differ per
scorecard). Part of `tracker.models` (import them there); app label `tracker`, so their
tables and migrations are the app's as before.
"""

from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class GradeScale(models.Model):
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    name = models.CharField(max_length=200, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("grade scale")
        verbose_name_plural = _("grade scales")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Grade(models.Model):
    scale = models.ForeignKey(
        GradeScale, on_delete=models.PROTECT, related_name="grades", verbose_name=_("scale")
    )
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    slug = models.SlugField(verbose_name=_("slug"))
    label = models.CharField(max_length=100, verbose_name=_("label"))
    score = models.PositiveSmallIntegerField(
        help_text=_("Orders the levels; higher is better."), verbose_name=_("score")
    )
    colour = models.CharField(max_length=7, validators=[hex_colour], verbose_name=_("colour"))
    description = models.TextField(
        blank=True,
        help_text=_("What this level means, for readers: shown on the public pages."),
        verbose_name=_("description"),
    )
    guidance = models.TextField(
        blank=True,
        help_text=_(
            "How graders choose this level (e.g. the wordings it is used for). "
            "Shown apart from the description, under a heading of its own."
        ),
        verbose_name=_("guidance"),
    )
    # Whether reaching this level means the recommendation was carried out: the
    # implementation rate and "overdue" count on it (tracker.actors).
    counts_as_done = models.BooleanField(
        default=False,
        help_text=_("Reaching this grade means the recommendation was carried out."),
        verbose_name=_("counts as done"),
    )
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["scale", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "slug"], name="grade_unique_slug_per_scale"),
            models.UniqueConstraint(fields=["scale", "score"], name="grade_unique_score_per_scale"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def css_class(self) -> str:
        """The class that paints a badge in this grade's colour (scorecard's grades.css):
        the grade's own, or, for a grade as an edition froze it, that of its frozen colour."""
        return self.__dict__.get("frozen_css_class") or f"grade-{self.pk}"

    def show_as_frozen(self, frozen: "Grade") -> None:
        """Show this grade (not saved afterwards) as `frozen`, an edition's copy of it."""
        self.label, self.score, self.colour = frozen.label, frozen.score, frozen.colour
        self.frozen_css_class = frozen.css_class


def frozen_grade_css_class(grade_id: int, colour: str) -> str:
    """The class of a grade's badge in the colour an edition froze (see Grade.css_class)."""
    return f"grade-{grade_id}-{colour.removeprefix('#').lower()}"
