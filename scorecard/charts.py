"""Charts drawn on the server as inline SVG: no JavaScript, no style attributes.

The pages run under a strict Content-Security-Policy, so everything here is plain SVG
geometry and presentation attributes (fill, stroke, x, width). Horizontal positions are
percentages of the drawing's width, so a chart fills any screen while its text keeps its
size; vertical positions are pixels. Every chart has a text equivalent on the page (a
table or a list), so the drawings are hidden from assistive technology.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tracker.models import NOT_RATEABLE_LABEL, Evaluation, Grade

UNGRADED_FILL = "#b8bfca"
# Not rateable (tracker.models.NOT_RATEABLE_LABEL): apart from every grade and from
# "not yet graded", dark enough for white text.
NOT_RATEABLE_FILL = "#5f5470"
INK = "#1d2330"
GRID = "#d5dae2"
MUTED = "#5a6270"


def _pct(value: float) -> str:
    return f"{value:.3f}%"


@dataclass(frozen=True)
class Segment:
    """One part of a distribution: a grade (None: not yet graded, or not rateable) and how
    many have it."""

    grade: Grade | None
    count: int
    not_rateable: bool = False

    @property
    def label(self) -> str:
        if self.grade is not None:
            return self.grade.label
        return NOT_RATEABLE_LABEL if self.not_rateable else gettext("Not yet graded")

    @property
    def fill(self) -> str:
        if self.grade is not None:
            return self.grade.colour
        return NOT_RATEABLE_FILL if self.not_rateable else UNGRADED_FILL


def distribution_bar(segments: Sequence[Segment], *, height: int = 14) -> SafeString:
    """A bar split in proportion to how many recommendations have each grade."""
    total = sum(segment.count for segment in segments)
    if total == 0:
        return format_html(
            '<svg class="dist-bar" width="100%" height="{}" aria-hidden="true" focusable="false">'
            '<rect x="0" y="0" width="100%" height="{}" fill="{}"/></svg>',
            height,
            height,
            UNGRADED_FILL,
        )
    rects = []
    offset = 0.0
    for segment in segments:
        if not segment.count:
            continue
        width = 100 * segment.count / total
        rects.append(
            format_html(
                '<rect x="{}" y="0" width="{}" height="{}" fill="{}" stroke="#fff" '
                'stroke-width="1"><title>{}: {}</title></rect>',
                _pct(offset),
                _pct(width),
                height,
                segment.fill,
                segment.label,
                segment.count,
            )
        )
        offset += width
    return format_html(
        '<svg class="dist-bar" width="100%" height="{}" aria-hidden="true" focusable="false">'
        "{}</svg>",
        height,
        mark_safe("".join(rects)),  # noqa: S308 -- each part was built with format_html
    )


# Marker shapes drawn around (0, 0), one per evaluator, so several graders can be told
# apart without relying on colour (the fill is the grade's colour).
MARKERS = (
    ("circle", '<circle cx="0" cy="0" r="7" fill="{fill}" stroke="#fff" stroke-width="2"/>'),
    (
        "square",
        '<rect x="-6.5" y="-6.5" width="13" height="13" fill="{fill}" stroke="#fff" '
        'stroke-width="2"/>',
    ),
    (
        "diamond",
        '<polygon points="0,-9 9,0 0,9 -9,0" fill="{fill}" stroke="#fff" stroke-width="2"/>',
    ),
    ("triangle", '<polygon points="0,-9 8,6 -8,6" fill="{fill}" stroke="#fff" stroke-width="2"/>'),
    (
        "inverted triangle",
        '<polygon points="0,9 8,-6 -8,-6" fill="{fill}" stroke="#fff" stroke-width="2"/>',
    ),
    (
        "cross",
        '<polygon points="-3,-8 3,-8 3,-3 8,-3 8,3 3,3 3,8 -3,8 -3,3 -8,3 -8,-3 -3,-3" '
        'fill="{fill}" stroke="#fff" stroke-width="1.5"/>',
    ),
    (
        "star",
        '<polygon points="0,-9 2.6,-3.3 8.6,-2.8 4.1,1.3 5.3,7.3 0,4.3 -5.3,7.3 -4.1,1.3 '
        '-8.6,-2.8 -2.6,-3.3" fill="{fill}" stroke="#fff" stroke-width="1.5"/>',
    ),
    (
        "pentagon",
        '<polygon points="0,-8 7.6,-2.5 4.7,6.5 -4.7,6.5 -7.6,-2.5" fill="{fill}" '
        'stroke="#fff" stroke-width="2"/>',
    ),
)


def evaluator_markers(evaluator_ids: Iterable[int | None]) -> dict[int | None, int]:
    """Each evaluator's marker (an index into MARKERS), chosen by the evaluator's id.

    So an evaluator has the same shape on every page it appears on, whoever else graded
    the recommendation. Only when two evaluators of one chart would share a shape (ids
    eight apart, which takes more evaluators than the shapes) does the later one take the
    next free shape on that chart.
    """
    markers: dict[int | None, int] = {}
    for evaluator_id in sorted(set(evaluator_ids), key=lambda pk: pk or 0):
        index = ((evaluator_id or 1) - 1) % len(MARKERS)
        taken = set(markers.values())
        if len(taken) < len(MARKERS):
            while index in taken:
                index = (index + 1) % len(MARKERS)
        markers[evaluator_id] = index
    return markers


def marker_svg(index: int, fill: str, *, size: int = 20) -> SafeString:
    """A small standalone marker, for the chart's legend and the evaluations beside it."""
    half = size / 2
    return format_html(
        '<svg class="marker" width="{}" height="{}" viewBox="{} {} {} {}" aria-hidden="true" '
        'focusable="false">{}</svg>',
        size,
        size,
        -half,
        -half,
        size,
        size,
        _marker(index, fill),
    )


def _marker(index: int, fill: str) -> SafeString:
    template = MARKERS[index % len(MARKERS)][1]
    return format_html(template.replace("{fill}", "{}"), fill)


def marker_name(index: int) -> str:
    return MARKERS[index % len(MARKERS)][0]


# Pixels per grade level and above the first level; site.css sizes the level labels'
# column (.chart-levels) with the same numbers, so keep the two in step.
ROW = 36
TOP = 14
AXIS = 30
# Year ticks come at one of these intervals, the smallest that keeps a dozen at most.
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def _shifted(day: datetime.date, days: float) -> datetime.date:
    """`day` moved by `days`, stopping at the first and last dates Python can hold."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return datetime.date.max if days > 0 else datetime.date.min


def grade_history_chart(
    evaluations: Sequence[Evaluation],
    grades: Sequence[Grade],
    *,
    start: datetime.date,
    evaluator_markers: dict[int | None, int],
    end: datetime.date | None = None,
) -> SafeString:
    """The grade over time: one row per level (best on top), a step line through the grades
    in force, and a marker per published evaluation (its shape tells the evaluator).

    The level names stand in their own column left of the drawing, so no line ever runs
    through them, wherever the data starts. `evaluations` are in history order; `start` is
    usually the report's publication date. Any date Python can hold is drawn (the axis
    stretches to fit, its ticks spaced to stay readable).
    """
    levels: list[Grade | None] = sorted(grades, key=lambda grade: -grade.score)
    # A not rateable judgment has a row of its own, below every grade, when there is one.
    if any(evaluation.is_not_rateable for evaluation in evaluations):
        levels.append(None)
    row_of = {grade.pk if grade else None: index for index, grade in enumerate(levels)}
    height = TOP + ROW * len(levels) + AXIS
    dates = [evaluation.as_of for evaluation in evaluations]
    first = min([start, *dates])
    last = max([*dates, end or start])
    span = max((last - first).days, 365)
    pad = span * 0.06
    lo = _shifted(first, -pad)
    hi = _shifted(last, pad * 1.5)
    total = (hi - lo).days

    def x(day: datetime.date) -> str:
        return _pct(100 * (day - lo).days / total)

    def y(grade_id: int | None) -> float:
        return TOP + ROW * row_of[grade_id] + ROW / 2

    parts: list[str] = []
    for grade in levels:
        cy = y(grade.pk if grade else None)
        parts.append(
            format_html(
                '<line x1="0" x2="100%" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                cy,
                cy,
                GRID,
            )
        )
    axis_y = TOP + ROW * len(levels) + 4
    first_year = lo.year + 1 if lo > datetime.date(lo.year, 1, 1) else lo.year
    years = range(first_year, hi.year + 1)
    step = next((s for s in YEAR_STEPS if len(years) / s <= 12), YEAR_STEPS[-1])
    shown = [year for year in years if year % step == 0]
    for index, year in enumerate(shown):
        tick = datetime.date(year, 1, 1)
        # On narrow screens the stylesheet hides every other year ("minor").
        minor = len(shown) > 6 and index % 2 == 1
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="middle" class="chart-year{}" fill="{}">{}</text>',
                x(tick),
                x(tick),
                axis_y,
                axis_y + 5,
                MUTED,
                x(tick),
                axis_y + 20,
                " minor" if minor else "",
                MUTED,
                year,
            )
        )
    # The report's publication: where the story starts.
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5" '
            'stroke-dasharray="4 4"/>',
            x(start),
            x(start),
            TOP,
            axis_y,
            MUTED,
        )
    )
    in_force = _grades_in_force(evaluations)
    for index, (day, evaluation) in enumerate(in_force):
        cy = y(evaluation.grade_id)
        next_day = in_force[index + 1][0] if index + 1 < len(in_force) else hi
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3" '
                'stroke-linecap="round"{}/>',
                x(day),
                x(next_day),
                cy,
                cy,
                INK,
                mark_safe(' stroke-dasharray="2 6"') if index + 1 == len(in_force) else "",
            )
        )
        if index + 1 < len(in_force):
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3"/>',
                    x(next_day),
                    x(next_day),
                    cy,
                    y(in_force[index + 1][1].grade_id),
                    INK,
                )
            )
    for evaluation in evaluations:
        parts.append(
            format_html(
                '<svg x="{}" y="{}" width="1" height="1" overflow="visible">{}'
                "<title>{}: {} ({})</title></svg>",
                x(evaluation.as_of),
                y(evaluation.grade_id),
                _marker(
                    evaluator_markers.get(evaluation.evaluator_id, 0), judgment_fill(evaluation)
                ),
                evaluation.as_of.isoformat(),
                evaluation.judgment_label,
                evaluation.evaluator.name,
            )
        )
    level_names = format_html_join(
        "",
        "<li>{}</li>",
        ((grade.label if grade else NOT_RATEABLE_LABEL,) for grade in levels),
    )
    return format_html(
        '<div class="history-chart-frame" aria-hidden="true">'
        '<ol class="chart-levels">{}</ol>'
        '<svg class="history-chart" width="100%" height="{}" focusable="false">{}</svg>'
        "</div>",
        level_names,
        height,
        mark_safe("".join(parts)),  # noqa: S308 -- each part was built with format_html
    )


def judgment_fill(evaluation: Evaluation) -> str:
    """The colour of an evaluation's judgment: its grade's, or the not rateable one."""
    return NOT_RATEABLE_FILL if evaluation.is_not_rateable else evaluation.grade.colour


def _grades_in_force(
    evaluations: Sequence[Evaluation],
) -> list[tuple[datetime.date, Evaluation]]:
    """From each date on, the evaluation that was current (the last one of that date)."""
    by_day: dict[datetime.date, Evaluation] = {}
    for evaluation in evaluations:
        by_day[evaluation.as_of] = evaluation
    return sorted(by_day.items(), key=lambda item: item[0])


# --- The embeddable badge -------------------------------------------------------------------

# Approximate advance widths (pixels at 11px) of Verdana / DejaVu Sans, which the badge
# names first; close enough to size the two halves around their text.
_NARROW = set("iljtfI.,:;'!|()[] ")
_WIDE = set("MWmw@%")


def _text_width(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.9
        elif char in _WIDE:
            width += 10.0
        elif char.isupper() or char.isdigit():
            width += 7.6
        else:
            width += 6.6
    return width


BADGE_HEIGHT = 20


def _badge_halves(left: str, right: str) -> tuple[int, int]:
    return round(_text_width(left) + 14), round(_text_width(right) + 14)


def badge_width(left: str, right: str) -> int:
    """How wide `badge(left, right, ...)` is, in pixels (its height is BADGE_HEIGHT)."""
    return sum(_badge_halves(left, right))


def badge(left: str, right: str, colour: str, *, title: str) -> str:
    """A two-part badge ("SEC-2 | Ongoing progress") as a standalone SVG document."""
    left_width, right_width = _badge_halves(left, right)
    width = left_width + right_width
    return str(
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" '
            'viewBox="0 0 {w} 20" role="img" aria-label="{title}">'
            "<title>{title}</title>"
            '<rect width="{lw}" height="20" rx="3" fill="#3b4452"/>'
            '<rect x="{lw}" width="{rw}" height="20" rx="3" fill="{colour}"/>'
            '<rect x="{lw}" width="4" height="20" fill="{colour}"/>'
            '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
            '<text x="{lx}" y="14" text-anchor="middle">{left}</text>'
            '<text x="{rx}" y="14" text-anchor="middle">{right}</text>'
            "</g></svg>",
            w=width,
            lw=left_width,
            rw=right_width,
            colour=colour,
            lx=left_width / 2,
            rx=left_width + right_width / 2,
            left=left,
            right=right,
            title=title,
        )
    )


def grade_css(colours: Sequence[tuple[str, str]]) -> str:
    """One class per grade (and per colour an edition froze for one: `colours` holds
    (class, colour) pairs): its colour behind white text, for badges and swatches."""
    rules = format_html_join(
        "\n",
        ".{} {{ background-color: {}; border-color: {}; color: #fff; }}",
        ((css_class, colour, colour) for css_class, colour in colours),
    )
    return f"/* Grade colours, from the grade scales. */\n{rules}\n"
