"""One figure style for every module: the ``gridmodel.mplstyle`` sheet (fonts and sizes for one-
and two-column layouts, a colour-blind-safe palette), figures as PNG (300 dpi), SVG and PDF.

Figures are ``matplotlib.figure.Figure`` objects, never pyplot state: importing gridmodel leaves
the user's matplotlib backend and rcParams alone; the style applies only while a figure is built
and saved.
"""

from __future__ import annotations

import contextvars
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

import matplotlib.style as mplstyle
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text

from gridmodel.io import write_atomic

STYLE = Path(__file__).with_name("gridmodel.mplstyle")
# Okabe & Ito (2008), "Color Universal Design" (the style sheet's colour cycle).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
ONE_COLUMN_IN = (3.5, 2.6)
TWO_COLUMN_IN = (7.2, 3.6)
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
FORMATS = ("png", "svg", "pdf")
#: Figure widths of the one- and two-column layouts (in).
WIDTHS_IN = (ONE_COLUMN_IN[0], TWO_COLUMN_IN[0])
UNIT = re.compile(r"\(.+\)")
NUMBER = re.compile(r"[-+]?[0-9.]+(e[-+]?[0-9]+)?%?|\$[-+]?[0-9.]+")
#: Axis labels that name their own unit.
SELF_DESCRIBING = ("Year", "Date")
#: Font sizes of the style sheet (pt): nothing smaller or larger.
FONT_PT = (5.0, 9.0)


class FigureStyleWarning(UserWarning):
    """A figure that leaves the house style (the tests turn this warning into an error)."""


_description: contextvars.ContextVar[str] = contextvars.ContextVar("description", default="")


@contextmanager
def figure_metadata(description: str):
    """Figures saved inside the block carry ``description`` (the result's provenance)."""
    token = _description.set(description)
    try:
        yield
    finally:
        _description.reset(token)


@contextmanager
def house_style():
    """The style sheet in force inside the block: every title, label, legend and colour created
    there takes the house sizes and palette (matplotlib fixes them when an artist is made, so
    the whole drawing, not only the saving, runs inside; :func:`gridmodel.output.draw_figures`
    does)."""
    with mplstyle.context(STYLE):
        yield


def figure(size: tuple[float, float] = TWO_COLUMN_IN, **kwargs):
    """A new figure and axes in the house style (``kwargs`` go to ``Figure.subplots``)."""
    with house_style():
        fig = Figure(figsize=size)
        return fig, fig.subplots(**kwargs)


def _is_grey(rgba) -> bool:
    r, g, b, _ = rgba
    return abs(r - g) < 1e-3 and abs(g - b) < 1e-3


def _colours(ax) -> list[tuple]:
    """Colours of the lines, bars and markers of ``ax`` (colour-mapped artists excluded)."""
    found = [to_rgba(line.get_color()) for line in ax.get_lines()]
    found += [p.get_facecolor() for p in ax.patches if p.get_fill()]
    for coll in ax.collections:
        if coll.get_array() is None:  # a colour-mapped collection carries its colormap instead
            found += [tuple(c) for c in coll.get_facecolors()] + [tuple(c) for c in coll.get_edgecolors()]  # fmt: skip
    return found


def _label_problem(ax, axis: str) -> str | None:
    """What is missing from the label of ``ax``'s ``axis`` ("x" or "y"), or None."""
    ticks = getattr(ax, f"{axis}axis")
    if not ticks.get_visible() or not any(t.get_text() for t in ticks.get_ticklabels()):
        return None  # no scale shown: nothing to label
    label = ticks.get_label_text()
    shared = getattr(ax, f"get_shared_{axis}_axes")().get_siblings(ax)
    fig = ax.get_figure()
    sup = getattr(fig, f"_sup{axis}label", None)
    if not label.strip():
        if any(getattr(o, f"get_{axis}label")().strip() for o in shared if o is not ax):
            return None
        if sup is not None and sup.get_text().strip():
            return None
        return f"{axis} axis has no label"
    texts = [t.get_text() for t in ticks.get_ticklabels() if t.get_text()]
    categorical = not all(
        NUMBER.fullmatch(t.replace("\u2212", "-").replace(",", "")) for t in texts
    )
    if not categorical and not UNIT.search(label) and label not in SELF_DESCRIBING:
        return f"{axis} axis label {label!r} has no unit in parentheses"
    return None


def style_problems(fig) -> list[str]:
    """How ``fig`` leaves the house style: a width other than one or two columns, a numeric
    axis without a labelled unit, a line or bar colour outside the palette (greys allowed)."""
    problems = []
    width = fig.get_size_inches()[0]
    if min(abs(width - w) for w in WIDTHS_IN) > 0.01:
        problems.append(f"width {width:g} in is neither one ({WIDTHS_IN[0]}) nor two ({WIDTHS_IN[1]}) columns")  # fmt: skip
    palette = [to_rgba(c)[:3] for c in PALETTE]
    sizes = [
        t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()
    ]
    if sizes and (min(sizes) < FONT_PT[0] or max(sizes) > FONT_PT[1]):
        problems.append(f"font sizes {min(sizes):g}-{max(sizes):g} pt outside {FONT_PT[0]:g}-{FONT_PT[1]:g} pt (drawn outside house_style()?)")  # fmt: skip
    for ax in fig.axes:
        if not ax.axison:
            continue
        if hasattr(ax, "_colorbar"):
            bar = ax._colorbar
            if not bar.ax.get_ylabel().strip() and not bar.ax.get_xlabel().strip():
                problems.append("colour bar has no label")
            continue
        problems += [p for p in (_label_problem(ax, "x"), _label_problem(ax, "y")) if p]
        for rgba in _colours(ax):
            if rgba[3] == 0 or _is_grey(rgba):
                continue
            if not any(
                max(abs(a - b) for a, b in zip(rgba[:3], c, strict=True)) < 2e-3 for c in palette
            ):
                problems.append(f"colour {rgba[:3]} is not in the palette")
                break
    return list(dict.fromkeys(problems))


def save(fig, folder: Path, stem: str, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write ``stem`` as PNG, SVG and PDF (``formats``) atomically into ``folder``; a figure
    that leaves the house style (:func:`style_problems`) raises a :class:`FigureStyleWarning`."""
    paths = []
    description = _description.get()
    with house_style():
        problems = style_problems(fig)
        if problems:
            warnings.warn(f"figure {stem}: {'; '.join(problems)}", FigureStyleWarning, stacklevel=2)  # fmt: skip
        for ext in formats:
            path = Path(folder) / f"{stem}.{ext}"
            meta = {"Subject" if ext == "pdf" else "Description": description}
            write_atomic(path, lambda tmp, ext=ext, meta=meta: fig.savefig(tmp, format=ext, metadata=meta))  # fmt: skip
            paths.append(path)
    return paths
