"""Helpers for driving the admin as an editor does: open a page, change fields, save."""

import datetime
from typing import Any

from django.test import Client


def logged_in(user) -> Client:
    """A browser session of its own, logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def _posted(value: Any) -> Any:
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def form_data(response) -> dict[str, Any]:
    """What the admin change form on this page posts if the editor changes nothing."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = _posted(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def errors_of(response) -> dict[str, list[str]]:
    """Field errors of the page's main form (`__all__` for the ones above the form)."""
    form = response.context["adminform"].form
    return {name: list(errors) for name, errors in form.errors.items()}


def evidence_errors(response) -> list[dict[str, list[str]]]:
    formset = response.context["inline_admin_formsets"][0].formset
    return [dict(form.errors.items()) for form in formset.forms]


def text_of(response) -> str:
    """The page's HTML with runs of white space made single spaces, as a reader sees words."""
    return " ".join(response.content.decode().split())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
