"""The editors' workspace: the Django admin, writing only through tracker.services.

Who may do what is decided by `tracker.rules` (the role × state × operation matrix) and, on
top of it, by the Django model permissions of the Editor and Publisher groups (migration
0003_roles), which an operator may narrow. Reference data (reports, areas, grade scales,
topics) comes from the scorecard files (`import_scorecard`) and is read-only here.
Every word shown here is marked for translation, and the admin answers in the editor's
language (their browser's, `scorecard.languages.editor_language`).

    base             ServiceAdmin (writes through the services), ReferenceAdmin, grade chips
    reference        grade scales, grades, reports, areas, topics, links, evaluators
    sources          sources
    recommendations  recommendations, with their evaluations listed
    actors           actors (governments and bodies within them), edited by editors
    evaluations      evaluations and their evidence, publishing, conflicts
    editions         evidence links (read-only), editions and freezing them
    responses        responses (what the actor says) and where each was said
    subscriptions    readers' e-mail subscriptions (superusers only)
    lockout          the page after too many failed logins (django-axes' AXES_LOCKOUT_CALLABLE)
    webhooks         partners' webhook endpoints and deliveries, read-only (administrators)
    translations     translating side by side with the original; each report's translation status
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.admin import (
    actors,
    editions,
    evaluations,
    recommendations,
    reference,
    responses,
    sources,
    subscriptions,
    translations,
    webhooks,
)

admin.site.site_header = _("Alliance Scorecard — editors")
admin.site.site_title = _("Alliance Scorecard editors")
admin.site.index_title = _("The record")

__all__ = [
    "actors",
    "editions",
    "evaluations",
    "recommendations",
    "reference",
    "responses",
    "sources",
    "subscriptions",
    "translations",
    "webhooks",
]
