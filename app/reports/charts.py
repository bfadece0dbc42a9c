"""A report's chart drawn as SVG on the server, for the PDF (WeasyPrint runs no JavaScript, so
the dashboard's Chart.js canvas cannot come along). Bars, stacked bars or lines over the
report's rows, every number in the table beside it. No Flask here."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

# The same colours as the dashboard's Chart.js chart (reports-chart.js), in the same order.
PALETTE = ("#2f6f9f", "#c8772e", "#4f8f4a", "#8c4f9f", "#b8403a", "#6b7a89", "#c4a72c")

WIDTH = 720
HEIGHT = 340
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 40, 92
_MAX_LABEL = 18


@dataclass(frozen=True)
class Dataset:
    """One measure's values, one per label; None where the report has no figure."""

    label: str
    values: tuple[int | Decimal | None, ...]


def nice_step(top: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) that divides 0..top into about five."""
    if top <= 0:
        return Decimal(1)
    rough = top / 5
    power = Decimal(10) ** (len(str(int(rough))) - 1) if rough >= 1 else Decimal("0.1")
    while power > rough and power > Decimal("0.01"):
        power /= 10
    for factor in (1, 2, 5, 10):
        if power * factor >= rough:
            return power * factor
    return power * 10


def _short(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[:_MAX_LABEL - 1] + "…"


def _number(value: Decimal) -> str:
    """An axis tick as a Latvian reader writes it (space between thousands, decimal comma)."""
    text = f"{value.normalize():,f}" if value != value.to_integral() else f"{int(value):,}"
    return text.replace(",", "\u00a0").replace(".", ",")


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def svg_chart(kind: str, labels: Sequence[str], datasets: Sequence[Dataset], *,
              title: str = "", axis_title: str = "") -> str:
    """The chart as an ``<svg>`` element: ``kind`` is bar, stacked_bar or line (as the report's
    definition names it); negative values are drawn from zero like any other."""
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    stacked = kind == "stacked_bar"
    values = [[Decimal(v) if v is not None else Decimal(0) for v in d.values] for d in datasets]
    if stacked and values:
        tops = [sum((column[k] for column in values if column[k] > 0), Decimal(0))
                for k in range(len(labels))]
    else:
        tops = [max((v for column in values for v in column), default=Decimal(0))]
    top = max(tops, default=Decimal(0))
    step = nice_step(top)
    ticks = int((top / step).to_integral_value(rounding="ROUND_CEILING")) or 1
    scale_top = step * ticks
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label={quoteattr(title)} font-family="DejaVu Sans, sans-serif" '
             f'font-size="10">')]
    if title:
        parts.append(f'<text x="{_LEFT}" y="16" font-size="12" font-weight="bold">'
                     f'{escape(title)}</text>')

    def y_of(value: Decimal) -> float:
        return _TOP + plot_h - float(value / scale_top) * plot_h

    for k in range(ticks + 1):
        value = step * k
        y = y_of(value)
        parts.append(f'<line x1="{_LEFT}" y1="{_fmt(y)}" x2="{WIDTH - _RIGHT}" y2="{_fmt(y)}" '
                     f'stroke="#d9d9d9" stroke-width="0.6"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{_fmt(y + 3)}" text-anchor="end">'
                     f'{escape(_number(value))}</text>')
    if axis_title:
        parts.append(f'<text x="12" y="{_fmt(_TOP + plot_h / 2)}" text-anchor="middle" '
                     f'transform="rotate(-90 12 {_fmt(_TOP + plot_h / 2)})">'
                     f'{escape(axis_title)}</text>')
    slot = plot_w / max(len(labels), 1)
    if kind == "line":
        for index, (dataset, column) in enumerate(zip(datasets, values, strict=True)):
            colour = PALETTE[index % len(PALETTE)]
            points = [(_LEFT + slot * (k + 0.5), y_of(v))
                      for k, (v, raw) in enumerate(zip(column, dataset.values, strict=True))
                      if raw is not None]
            if len(points) > 1:
                parts.append('<polyline fill="none" stroke-width="2" stroke="' + colour
                             + '" points="' + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
                             + '"/>')
            parts.extend(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="2.5" fill="{colour}"/>'
                         for x, y in points)
    else:
        group = slot * 0.8
        width = group if stacked else group / max(len(datasets), 1)
        for k in range(len(labels)):
            base = Decimal(0)
            for index, column in enumerate(values):
                value = column[k]
                colour = PALETTE[index % len(PALETTE)]
                x = _LEFT + slot * k + (slot - group) / 2 + (0 if stacked else width * index)
                low, high = (base, base + value) if stacked else (Decimal(0), value)
                if stacked:
                    base += value
                y_top, y_bottom = y_of(max(low, high)), y_of(min(low, high))
                parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(y_top)}" width="{_fmt(width)}" '
                             f'height="{_fmt(max(y_bottom - y_top, 0))}" fill="{colour}"/>')
    baseline = y_of(Decimal(0))
    parts.append(f'<line x1="{_LEFT}" y1="{_fmt(baseline)}" x2="{WIDTH - _RIGHT}" '
                 f'y2="{_fmt(baseline)}" stroke="#555" stroke-width="0.8"/>')
    for k, label in enumerate(labels):
        x = _LEFT + slot * (k + 0.5)
        y = _TOP + plot_h + 10
        parts.append(f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="end" '
                     f'transform="rotate(-35 {_fmt(x)} {_fmt(y)})">{escape(_short(label))}</text>')
    legend_x = _LEFT
    for index, dataset in enumerate(datasets):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{legend_x}" y="24" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="33">{escape(_short(dataset.label))}</text>')
        legend_x += 24 + 6 * min(len(dataset.label), _MAX_LABEL)
    parts.append("</svg>")
    return "".join(parts)
