"""Template filters for showing a grade scale."""

from collections.abc import Iterable

from django import template

from tracker.models import Grade

register = template.Library()


@register.filter
def with_guidance(grades: Iterable[Grade]) -> list[Grade]:
    """The grades that carry guidance for graders, in the order given."""
    return [grade for grade in grades if grade.guidance]
