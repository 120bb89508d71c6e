"""Following grades by e-mail: the form, and the pages its signed links open.

No account: the signed token in a link is what proves the reader holds the address, so
these views take no CSRF token (there is no session or cookie to abuse; a forged request
can do nothing its sender could not do by posting the form itself). None is cached.

Subscribing is rate-limited per client address and per e-mail address, counted in the
shared cache as the API's limits are (scorecard/api/throttling.py), and the answer is the
same whatever the address: already following, pending, or new.
"""

import datetime
import time

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from scorecard.api import throttling
from tracker import mail_tasks, subscriptions
from tracker.models import Frequency, Recommendation, Report


class FollowForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("E-mail address"))
    report = forms.CharField(required=False, max_length=100)
    recommendation = forms.IntegerField(required=False, min_value=1)

    def clean_report(self) -> Report | None:
        slug = self.cleaned_data["report"].strip()
        if not slug:
            return None
        report = Report.objects.filter(slug=slug).first()
        if report is None:
            raise forms.ValidationError(
                gettext("There is no report “%(slug)s” to follow.") % {"slug": slug}
            )
        return report

    def clean_recommendation(self) -> Recommendation | None:
        pk = self.cleaned_data["recommendation"]
        if pk is None:
            return None
        recommendation = Recommendation.objects.select_related("report").filter(pk=pk).first()
        if recommendation is None:
            raise forms.ValidationError(gettext("There is no such recommendation to follow."))
        return recommendation


def _within_rate(what: str, who: str, rate: str) -> bool:
    """Count one request of `who` against `rate`; False once it is over."""
    limit, period = throttling.parse_rate(rate)
    window = int(time.time() // period)
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        window_end = datetime.datetime.fromtimestamp((window + 1) * period, tz=datetime.UTC)
        key = f"follow-count:{throttling._digest(what, who, period)}"
        return throttling._count_in_database(cache, key, window_end) <= limit
    key = f"follow:{throttling._digest(what, who, period, window)}"
    cache.add(key, 0, period + 1)
    return cache.incr(key) <= limit


def _message(request, *, title: str, message: str, status: int = 200, **extra) -> HttpResponse:
    context = {"title": title, "message": message, **extra}
    return render(request, "scorecard/follow/message.html", context, status=status)


def _bad_link(request) -> HttpResponse:
    return _message(
        request,
        title=gettext("This link does not work"),
        message=gettext(
            "The link is incomplete, or it has expired (a confirmation link works for "
            "%(days)s days). Follow again to get a new one."
        )
        % {"days": subscriptions.CONFIRMATION_MAX_AGE.days},
        status=400,
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "scorecard/follow/form.html", {"form": FollowForm()})
    form = FollowForm(request.POST)
    if not form.is_valid():
        return render(request, "scorecard/follow/form.html", {"form": form}, status=400)
    email = subscriptions.normalize_address(form.cleaned_data["email"])
    if not (
        _within_rate("client", throttling.client_address(request), settings.FOLLOW_RATE_CLIENT)
        and _within_rate("address", email, settings.FOLLOW_RATE_ADDRESS)
    ):
        response = _message(
            request,
            title=gettext("Too many requests"),
            message=gettext(
                "Too many requests to follow from here or for this address. Try again later."
            ),
            status=429,
        )
        response["Retry-After"] = "3600"
        return response
    recommendation = form.cleaned_data["recommendation"]
    mail_tasks.request_subscription(
        email=email,
        report=None if recommendation else form.cleaned_data["report"],
        recommendation=recommendation,
        language=translation.get_language(),
    )
    return _message(
        request,
        title=gettext("Check your inbox"),
        message=gettext(
            "If %(email)s can receive e-mail, a message is on its way with a link to confirm. "
            "Nothing else is sent until you confirm. No e-mail within the hour? Check the "
            "spam folder; a new confirmation can be sent once an hour."
        )
        % {"email": email},
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    found = subscriptions.read_confirmation_token(token)
    if found is None:
        return _bad_link(request)
    email, subscription_ids = found
    if request.method != "POST":
        # A button, not the link itself: mail scanners open links, they do not press buttons.
        return _message(
            request,
            title=gettext("Confirm that you want these e-mails"),
            message=gettext("Press the button to start e-mails to %(email)s when grades change.")
            % {"email": email},
            action=request.path,
            action_label=gettext("Confirm"),
        )
    subscriptions.confirm_subscriptions(email=email, subscription_ids=subscription_ids)
    return redirect("follow-manage", token=subscriptions.manage_token(email))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    email = subscriptions.read_manage_token(token)
    if email is None:
        return _bad_link(request)
    if request.method == "POST":
        try:
            subscription_id = int(request.POST.get("subscription", ""))
        except ValueError:
            subscription_id = None
        action = request.POST.get("action")
        frequency = request.POST.get("frequency", "")
        if action == "frequency" and subscription_id and frequency in Frequency.values:
            subscriptions.change_frequency(
                email=email, subscription_id=subscription_id, frequency=frequency
            )
        elif action == "unsubscribe" and subscription_id:
            subscriptions.unsubscribe(email=email, subscription_id=subscription_id)
        else:
            return _message(
                request,
                title=gettext("That did not work"),
                message=gettext("The form was incomplete. Go back and try again."),
                status=400,
                link=request.path,
            )
        return redirect(request.path)
    return render(
        request,
        "scorecard/follow/manage.html",
        {
            "email": email,
            "subscriptions": list(subscriptions.subscriptions_of(email)),
            "frequencies": Frequency.choices,
            "unsubscribe_token": subscriptions.unsubscribe_token(email),
        },
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe: a POST (from the mail program, or the button here)."""
    email = subscriptions.read_unsubscribe_token(token)
    if email is None:
        return _bad_link(request)
    if request.method != "POST":
        return _message(
            request,
            title=gettext("Unsubscribe"),
            message=gettext("Stop every e-mail to %(email)s from the Alliance Scorecard?")
            % {"email": email},
            action=request.path,
            action_label=gettext("Unsubscribe"),
        )
    subscriptions.unsubscribe(email=email)
    return _message(
        request,
        title=gettext("Unsubscribed"),
        message=gettext(
            "No more e-mail goes to %(email)s, and the address is deleted from our list."
        )
        % {"email": email},
    )
