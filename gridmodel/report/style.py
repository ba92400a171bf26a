"""One figure style for every module: the ``gridmodel.mplstyle`` sheet (fonts and sizes for one-
and two-column layouts, a colour-blind-safe palette), figures as PNG (300 dpi), SVG and PDF.

Figures are ``matplotlib.figure.Figure`` objects, never pyplot state: importing gridmodel leaves
the user's matplotlib backend and rcParams alone; the style applies only while a figure is built
and saved.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from pathlib import Path

import matplotlib.style as mpl_style
from matplotlib.figure import Figure

from gridmodel.io import write_atomic

STYLE = Path(__file__).with_name("gridmodel.mplstyle")
# Okabe & Ito (2008), "Color Universal Design" (the style sheet's colour cycle).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
ONE_COLUMN_IN = (3.5, 2.6)
TWO_COLUMN_IN = (7.2, 3.6)
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
FORMATS = ("png", "svg", "pdf")

_description: contextvars.ContextVar[str] = contextvars.ContextVar("description", default="")


@contextmanager
def figure_metadata(description: str):
    """Figures saved inside the block carry ``description`` (the result's provenance)."""
    token = _description.set(description)
    try:
        yield
    finally:
        _description.reset(token)


def figure(size: tuple[float, float] = TWO_COLUMN_IN, **kwargs):
    """A new figure and axes in the house style (``kwargs`` go to ``Figure.subplots``)."""
    with mpl_style.context(STYLE):
        fig = Figure(figsize=size)
        return fig, fig.subplots(**kwargs)


def save(fig, folder: Path, stem: str) -> list[Path]:
    """Write ``stem`` as PNG, SVG and PDF atomically into ``folder``."""
    paths = []
    description = _description.get()
    with mpl_style.context(STYLE):
        for ext in FORMATS:
            path = Path(folder) / f"{stem}.{ext}"
            meta = {"Subject" if ext == "pdf" else "Description": description}
            write_atomic(path, lambda tmp, ext=ext, meta=meta: fig.savefig(tmp, format=ext, metadata=meta))  # fmt: skip
            paths.append(path)
    return paths
