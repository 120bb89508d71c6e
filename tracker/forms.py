"""Forms of the editors' workspace (the admin). They check input; tracker.services writes.

Every problem is reported on the field it concerns, in words an editor can act on. A
refusal that only the write itself can detect (someone else saved first, a rule checked
inside the transaction) comes back from the service as a `ValidationError` keyed by
field; `ServiceForm` puts it on those same fields (see `tracker.admin.ServiceAdmin`).
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, FilteredSelectMultiple
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Field, URLField
from django.forms.models import BaseInlineFormSet
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import default_dates, rules
from tracker.models import (
    Actor,
    Edition,
    Evaluation,
    EvidenceLink,
    Grade,
    Recommendation,
    Report,
    Source,
    SourceKind,
)


class ServiceForm(forms.ModelForm):
    """A model form that can show a refusal raised by a service when saving.

    The admin sets `refusal` on the form class for the second, read-only pass it makes
    after a service refused the write; the form then fails validation with those errors.
    """

    refusal: ValidationError | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.refusal is not None:
            add_refusal(self, self.refusal)
        return cleaned


def add_refusal(form: forms.Form, refusal: ValidationError) -> None:
    """Put a service's errors on the form's fields (or above the form for other keys)."""
    if not hasattr(refusal, "error_dict"):
        form.add_error(None, refusal.messages)
        return
    for name, messages in refusal.message_dict.items():
        if name in form.fields and name != NON_FIELD_ERRORS:
            form.add_error(name, messages)
        elif name in (NON_FIELD_ERRORS, "version"):
            form.add_error(None, messages)
        else:
            label = name.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {message}" for message in messages])


def _recommendation_from(form: forms.BaseForm) -> Recommendation | None:
    """The recommendation an evaluation form is about: saved, posted, or asked for in the URL."""
    if form.instance.pk:
        return form.instance.recommendation
    raw = form.data.get(form.add_prefix("recommendation")) if form.is_bound else None
    raw = raw or form.initial.get("recommendation")
    if isinstance(raw, Recommendation):
        return raw
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return Recommendation.objects.select_related("report__grade_scale").filter(pk=pk).first()


class EvaluationForm(ServiceForm):
    """Log or edit an evaluation. The version it was loaded at travels in a hidden field."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Evaluation
        fields = [
            "recommendation",
            "grade",
            "not_rateable_reason",
            "wording",
            "narrative",
            "as_of",
            "evaluator",
            "publication",
        ]
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 14, "cols": 90}),
            "wording": forms.TextInput(attrs={"class": "vTextField", "size": 60}),
            "not_rateable_reason": forms.Textarea(attrs={"rows": 3, "cols": 90}),
        }
        help_texts = {
            "wording": _("The grade in the evaluator's own words, verbatim, e.g. “Slow progress”."),
            "narrative": _(
                "Why this grade, in Markdown: *emphasis*, **strong**, [a link](https://…), "
                "lists with “- ”, quotes with “> ”. HTML is shown as typed, never run."
            ),
            "as_of": _(
                "The date this judgment speaks for: not before the report was published, "
                "not in the future."
            ),
            "publication": _("The report or article this evaluation appeared in, if any."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "loaded_version" in self.fields and self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        self.recommendation = _recommendation_from(self)
        if "as_of" in self.fields and not self.instance.pk:
            # The usual date follows from the publication and evaluator chosen below it,
            # so it is worked out when the form is sent (tracker.default_dates).
            self.fields["as_of"].required = False
            self.fields["as_of"].help_text = gettext(
                "Left empty: the date of the publication chosen below, if it has one; "
                "otherwise the date of the evaluation of this report that the evaluator "
                "logged last; otherwise today. "
                "Not before the report was published, not in the future."
            )
        if "grade" in self.fields:
            self._offer_grades_of_the_scale()

    def _offer_grades_of_the_scale(self) -> None:
        field = self.fields["grade"]
        # Every grade is accepted by the field so that a grade of another scale gets a
        # message saying so (from clean), not "not one of the available choices".
        field.queryset = Grade.objects.select_related("scale")
        field.widget = forms.Select()
        if self.recommendation is not None:
            scale = self.recommendation.report.grade_scale
            field.choices = [("", "---------")] + [
                (grade.pk, grade.label) for grade in scale.grades.order_by("-score")
            ]
            field.help_text = gettext("A level of “%(scale)s”, the scale of %(report)s.") % {
                "scale": scale.name,
                "report": self.recommendation.report.short_name,
            }
        else:
            by_scale: dict[str, list[tuple[int, str]]] = {}
            for grade in Grade.objects.select_related("scale").order_by("scale__name", "-score"):
                by_scale.setdefault(grade.scale.name, []).append((grade.pk, grade.label))
            field.choices = [("", "---------"), *by_scale.items()]
            field.help_text = gettext("Only a grade of the recommendation's own scale is accepted.")

    def clean_as_of(self) -> datetime.date | None:
        as_of = self.cleaned_data["as_of"]
        if as_of is None:  # left empty on a new evaluation: see clean()
            return None
        report = self.recommendation.report if self.recommendation is not None else None
        problem = rules.evaluation_date_problem(as_of, report)
        if problem is not None:
            raise ValidationError(problem)
        return as_of

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        recommendation = cleaned.get("recommendation") or self.recommendation
        grade = cleaned.get("grade")
        default = None
        if recommendation is not None and "as_of" in cleaned and cleaned["as_of"] is None:
            default = default_dates.evaluation_as_of(
                report=recommendation.report,
                evaluator=cleaned.get("evaluator"),
                publication=cleaned.get("publication"),
            )
            cleaned["as_of"] = default.date
        reason = (cleaned.get("not_rateable_reason") or "").strip()
        if "not_rateable_reason" in cleaned:
            cleaned["not_rateable_reason"] = reason
        for name, message in rules.judgment_problems(
            grade=grade, not_rateable_reason=reason
        ).items():
            if name not in self.errors and "grade" not in self.errors:
                self.add_error(name, message)
        if recommendation is not None and grade is not None and cleaned.get("as_of"):
            # Errors put on fields here also spare the editor the model's generic wording
            # for "one evaluation per evaluator and date" (fields with errors are not
            # validated again against the model's constraints).
            problems = rules.evaluation_field_problems(
                recommendation=recommendation,
                grade=grade,
                not_rateable_reason=reason,
                as_of=cleaned["as_of"],
                evaluator=cleaned.get("evaluator"),
                evaluation=self.instance,
            )
            for name, message in problems.items():
                if name == "as_of" and default is not None:
                    shown = formats.date_format(default.date)
                    message = gettext(
                        "Left empty, the date is %(date)s, %(reason)s: %(problem)s"
                    ) % {
                        "date": shown,
                        "reason": default.reason,
                        "problem": message,
                    }
                if name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The editable fields the editor changed, with their new values."""
        return {
            name: self.cleaned_data[name]
            for name in rules.EVALUATION_FIELDS
            if name in self.changed_data
        }


NEW_SOURCE_FIELDS = {
    "new_source_title": "title",
    "new_source_url": "url",
    "new_source_archived_url": "archived_url",
    "new_source_publisher": "publisher",
    "new_source_published_on": "published_on",
    "new_source_kind": "kind",
}


class EvidenceForm(forms.ModelForm):
    """One piece of evidence: an existing source, or a new one described here."""

    new_source_title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    new_source_url = forms.URLField(
        label=_("URL"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text=_("If this URL is already on file, that source is offered instead."),
    )
    new_source_archived_url = forms.URLField(
        label=_("Archived URL"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text=_("Optional: a copy in a web archive, in case the page goes away."),
    )
    new_source_publisher = forms.CharField(
        label=_("Publisher"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    new_source_published_on = forms.DateField(
        label=_("Published on"), required=False, widget=AdminDateWidget
    )
    new_source_kind = forms.ChoiceField(
        label=_("Kind"), choices=SourceKind.choices, initial=SourceKind.OTHER, required=False
    )

    class Meta:
        model = EvidenceLink
        fields = ["source", "quote", "page", "stance"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "cols": 70})}
        help_texts = {"quote": _("The passage this grade relies on, verbatim.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].required = False

    def describes_new_source(self) -> bool:
        return any(
            self.cleaned_data.get(name) for name in NEW_SOURCE_FIELDS if name != "new_source_kind"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source = cleaned.get("source")
        if self.describes_new_source():
            if source is not None:
                self.add_error(
                    "source", gettext("Choose an existing source or describe a new one, not both.")
                )
            if not cleaned.get("new_source_title"):
                self.add_error("new_source_title", gettext("Give the new source a title."))
            existing = rules.source_with_url(cleaned.get("new_source_url", ""))
            if existing is not None:
                self._offer_existing(existing)
        elif source is None and not self.errors:
            self.add_error("source", gettext("Choose a source, or add a new one below it."))
        return cleaned

    def _offer_existing(self, existing: Source) -> None:
        """Select the source already on file in place of the new one, and say so."""
        self.add_error(
            "new_source_url",
            gettext(
                "This URL is already on file as “%(title)s”. It is now selected as the "
                "source above instead of adding a duplicate: check it and save again."
            )
            % {"title": existing.title},
        )
        data = self.data.copy()
        data[self.add_prefix("source")] = str(existing.pk)
        for name in NEW_SOURCE_FIELDS:
            data[self.add_prefix(name)] = ""
        data[self.add_prefix("new_source_kind")] = SourceKind.OTHER
        self.data = data

    def evidence_item(self) -> dict[str, Any]:
        """This row as tracker.services takes evidence."""
        item: dict[str, Any] = {
            "stance": self.cleaned_data["stance"],
            "quote": self.cleaned_data.get("quote", ""),
            "page": self.cleaned_data.get("page", ""),
        }
        if self.describes_new_source():
            item["new_source"] = {
                field: self.cleaned_data.get(name) or ("" if field != "published_on" else None)
                for name, field in NEW_SOURCE_FIELDS.items()
            }
            item["new_source"]["kind"] = item["new_source"]["kind"] or SourceKind.OTHER
        else:
            item["source"] = self.cleaned_data["source"]
        return item


class EvidenceFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen_sources: dict[int, str] = {}
        seen_urls: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self._should_delete_form(form):
                continue
            source = form.cleaned_data.get("source")
            if source is not None and not form.describes_new_source():
                if source.pk in seen_sources:
                    form.add_error(
                        "source",
                        gettext("“%(source)s” is already cited above; cite it once.")
                        % {"source": source},
                    )
                seen_sources[source.pk] = str(source)
            url = rules.source_url_key(form.cleaned_data.get("new_source_url") or "")
            if url:
                if url in seen_urls:
                    form.add_error("new_source_url", gettext("This URL is already added above."))
                seen_urls.add(url)

    def evidence_edits(self) -> tuple[list[Mapping], dict[int, Mapping], set[int]]:
        """(new evidence, changes by link id, removed link ids) for tracker.services."""
        new: list[Mapping] = []
        changes: dict[int, Mapping] = {}
        removed: set[int] = set()
        for form in self.forms:
            saved = form.instance.pk is not None
            if saved and self._should_delete_form(form):
                removed.add(form.instance.pk)
            elif not form.has_changed() or self._should_delete_form(form):
                continue
            elif saved and form.describes_new_source():
                # A new source in place of the old one: cite the new, drop the old.
                removed.add(form.instance.pk)
                new.append(form.evidence_item())
            elif saved:
                item = form.evidence_item()
                changes[form.instance.pk] = {name: item[name] for name in rules.EVIDENCE_FIELDS}
            else:
                new.append(form.evidence_item())
        return new, changes, removed


def https_by_default(db_field: Field, **kwargs: Any) -> forms.Field | None:
    """Form fields for model fields, taking addresses typed without a scheme as https."""
    if isinstance(db_field, URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SourceForm(ServiceForm):
    class Meta:
        model = Source
        fields = list(rules.SOURCE_FIELDS)  # what an editor may set (and an edition freezes)
        help_texts = {
            "key": _("A short stable name; left empty, it is made from the title."),
            "archived_url": _("A copy in a web archive, in case the page goes away."),
        }
        formfield_callback = https_by_default

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "key" in self.fields and not self.instance.pk:
            self.fields["key"].required = False

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        saved = self.instance if self.instance.pk else None
        existing = rules.source_with_url(url, exclude=saved)
        if existing is not None:
            raise ValidationError(
                gettext(
                    "This URL is already on file as “%(title)s” (%(key)s); "
                    "use that source instead of adding it again."
                )
                % {"title": existing.title, "key": existing.key}
            )
        return url


class RecommendationForm(ServiceForm):
    # Who it names. A form field of its own: the admin cannot edit a many-to-many with its
    # own relation model (RecommendationActor, which keeps named actors from deletion).
    addressed_to = forms.ModelMultipleChoiceField(
        queryset=Actor.objects.order_by("name"),
        required=False,
        label=_("Actors"),
        help_text=_(
            "Who is asked to act; none when the report does not say. An actor "
            "includes the bodies within it (Japan includes its Ministry of Defense)."
        ),
        widget=FilteredSelectMultiple("actors", is_stacked=False),
    )

    class Meta:
        model = Recommendation
        fields = [
            "report", "area", "code", "position", "title", "text", "topics",
            "due_on", "due_set_by",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "addressed_to" in self.fields:
            self.fields["addressed_to"].initial = list(self.instance.actors.all())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        report = cleaned.get("report") or getattr(self.instance, "report", None)
        if report is not None and "due_on" in self.fields and "due_on" not in self.errors:
            problems = rules.due_date_problems(
                due_on=cleaned.get("due_on"), due_set_by=cleaned.get("due_set_by", ""),
                report=report,
            )  # fmt: skip
            for name, message in problems.items():
                if name not in self.errors:
                    self.add_error(name, message)
        return cleaned


class ActorForm(ServiceForm):
    class Meta:
        model = Actor
        fields = ["name", "slug", "kind", "parent"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        problem = rules.actor_parent_problem(self.instance, cleaned.get("parent"))
        if problem and "parent" not in self.errors:
            self.add_error("parent", problem)
        return cleaned


class EditionForm(ServiceForm):
    """Freeze an edition: the report's published grades as of a date, under a name."""

    class Meta:
        model = Edition
        fields = ["report", "name", "slug", "as_of", "description"]
        help_texts = {
            "name": _("How readers will cite it, e.g. “2008 review”."),
            "slug": _("The last part of the edition's address (/editions/…/); it never changes."),
            "as_of": _(
                "The grades current on this date are frozen (published evaluations only; "
                "not in the future). Left empty: the latest date among the report's "
                "published evaluations. The next page shows the date before anything is "
                "frozen."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of_default: default_dates.DefaultDate | None = None
        if "as_of" in self.fields:
            # The usual date follows from the report chosen above it (tracker.default_dates).
            self.fields["as_of"].required = False
        if "report" in self.fields:
            self.fields["report"].queryset = Report.objects.order_by("published_on", "slug")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        report, as_of = cleaned.get("report"), cleaned.get("as_of")
        if report is not None and as_of is None and "as_of" not in self.errors:
            self.as_of_default = default_dates.edition_as_of(report)
            as_of = cleaned["as_of"] = self.as_of_default.date
        if report is not None and as_of is not None:
            problems = rules.edition_problems(
                report=report, slug=cleaned.get("slug", ""), name=cleaned.get("name", ""),
                as_of=as_of,
            )  # fmt: skip
            for name, message in problems.items():
                if name not in self.errors:
                    self.add_error(name, message)
        return cleaned
