"""Headless Chromium: finding it and printing an HTML file to PDF.

The brief's PDF is the browser's own print of the HTML (print stylesheet, page breaks), so the
two never differ. Debian's ``chromium`` package is the reference;
``gridmodel.set_options(chromium=...)`` (or ``$GRIDMODEL_CHROMIUM``) names another binary.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from gridmodel.resources import chromium_path

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
PRINT_TIMEOUT_S = 180.0


class BrowserError(RuntimeError):
    """Chromium is missing or could not print the brief."""


def print_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (a fresh profile, no header/footer)."""
    binary = chromium or chromium_path()
    if binary is None:
        raise BrowserError(
            "Chromium not found (install Debian's `chromium` package or set the chromium option or GRIDMODEL_CHROMIUM)"
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
