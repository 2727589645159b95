"""The geometry of the agreement bar chart (per label F1 and kappa), for a template to
draw as SVG: every bar carries its name and value as text, so colour is never the only
cue."""

from __future__ import annotations

import math
from dataclasses import dataclass

MEASURES = (("f1_exact", "F1 exact"), ("f1_overlap", "F1 overlap"), ("kappa", "Cohen's κ"))
WIDTH = 640
LABEL_WIDTH = 96  # the measure names on the left
HEADING = 18  # each label's name, above its bars
VALUE_WIDTH = 56  # the value text on the right
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 14
TOP = 24  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    measure: str  # css class: f1_exact, f1_overlap, kappa
    name: str
    value: float | None
    x: float
    y: float
    width: float
    text_x: float


@dataclass(frozen=True)
class Group:
    label: str
    y: float  # the top of the group's name row
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    value: float
    x: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    zero_x: float
    plot_left: float
    plot_right: float
    groups: list[Group]
    ticks: list[Tick]


def bar_chart(rows: list[tuple[str, object]]) -> Chart:
    """rows: (label name, Figures) pairs. The axis runs from 0 (or the lowest negative
    kappa, down to the next 0.5) to 1."""
    values = [getattr(f, m) for _, f in rows for m, _ in MEASURES if getattr(f, m) is not None]
    low = min(0.0, math.floor(min(values, default=0.0) * 2) / 2)
    left, right = LABEL_WIDTH, WIDTH - VALUE_WIDTH

    def x_of(value: float) -> float:
        return left + (value - low) / (1 - low) * (right - left)

    zero = x_of(0.0)
    groups, y = [], TOP
    for name, figures in rows:
        bars = []
        group_y = y
        y += HEADING
        for measure, measure_name in MEASURES:
            value = getattr(figures, measure)
            end = x_of(value) if value is not None else zero
            bars.append(
                Bar(
                    measure=measure,
                    name=measure_name,
                    value=value,
                    x=min(zero, end),
                    y=y,
                    width=abs(end - zero),
                    text_x=max(zero, end) + 4,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        groups.append(Group(label=name, y=group_y, bars=bars))
        y += GROUP_GAP
    steps = round((1 - low) / 0.25)
    ticks = [Tick(value=low + i * 0.25, x=x_of(low + i * 0.25)) for i in range(steps + 1)]
    return Chart(
        width=WIDTH,
        height=int(y),
        zero_x=zero,
        plot_left=left,
        plot_right=right,
        groups=groups,
        ticks=ticks,
    )
