"""Links to translate the object a change page shows (tracker/admin/translations.py)."""

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tracker.translation_models import TRANSLATABLE_FIELDS, translation_languages

register = template.Library()


@register.inclusion_tag("admin/tracker/translate_links.html")
def translate_links(obj) -> dict:
    links = []
    if obj is not None and obj.pk is not None and obj._meta.label_lower in TRANSLATABLE_FIELDS:
        content_type = ContentType.objects.get_for_model(obj)
        links = [
            (
                code,
                reverse(
                    "admin:tracker_translation_translate", args=[content_type.pk, obj.pk, code]
                ),
            )
            for code in translation_languages()
        ]
    return {"links": links}
