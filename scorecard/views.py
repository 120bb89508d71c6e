"""Public pages. They read only through tracker.queries."""

from django.shortcuts import render

from tracker.models import Report


def home(request):
    reports = Report.objects.order_by("published_on", "slug")
    return render(request, "scorecard/home.html", {"reports": reports})
