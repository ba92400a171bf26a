"""Headless Chromium: finding it and printing an HTML file to PDF.

The brief's PDF is the browser's own print of the HTML (print stylesheet, page breaks), so the
two never differ. Debian's ``chromium`` package is the reference; ``GRIDMODEL_CHROMIUM`` names
another binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Flags for a headless browser run as root in a sandboxed machine, with no network use.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_S = 180.0


class BrowserError(RuntimeError):
    """Chromium is missing or could not print the brief."""


def find_chromium() -> str | None:
    """Path of the Chromium binary: ``$GRIDMODEL_CHROMIUM``, else the first on ``PATH``."""
    given = os.environ.get("GRIDMODEL_CHROMIUM")
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (a fresh profile, no header/footer)."""
    binary = chromium or find_chromium()
    if binary is None:
        raise BrowserError(
            "Chromium not found (install Debian's `chromium` package or set GRIDMODEL_CHROMIUM)"
        )
    with tempfile.TemporaryDirectory(prefix="gridmodel-chromium-") as profile:
        cmd = [
            binary,
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={Path(pdf).resolve()}",
            Path(html).resolve().as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=PRINT_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise BrowserError(f"Chromium ({binary}) could not print the brief: {err}") from None
    if done.returncode != 0 or not Path(pdf).is_file() or Path(pdf).stat().st_size == 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise BrowserError(
            f"Chromium ({binary}) could not print the brief (exit {done.returncode}): {tail}"
        )
    return Path(pdf)
