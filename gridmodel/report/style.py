"""One figure style: fonts, sizes for one- and two-column layouts, a colour-blind-safe palette."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gridmodel.io import write_atomic  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with all common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
ONE_COLUMN_IN = (3.5, 2.6)
TWO_COLUMN_IN = (7.2, 3.6)
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"

RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 150,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
}


def figure(size: tuple[float, float] = TWO_COLUMN_IN, **kwargs):
    """A new figure and axes in the house style."""
    with plt.rc_context(RC):
        return plt.subplots(figsize=size, **kwargs)


def save(fig, folder: Path, stem: str) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically into ``folder``; close the figure."""
    paths = []
    with plt.rc_context(RC):
        for ext in ("png", "svg"):
            path = Path(folder) / f"{stem}.{ext}"
            write_atomic(path, lambda tmp, ext=ext: fig.savefig(tmp, format=ext))
            paths.append(path)
    plt.close(fig)
    return paths
