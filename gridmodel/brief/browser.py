"""Headless Chromium: finding it and printing an HTML file to PDF.

The brief's PDF is the browser's own print of the HTML (print stylesheet, page breaks), so the
two never differ. Debian's ``chromium`` package is the reference;
``gridmodel.set_options(chromium=...)`` (or ``$GRIDMODEL_CHROMIUM``) names another binary.
"""

from __future__ import annotations

import ctypes
import os
import signal
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
#: How long ``chromium --version`` may take before the browser counts as unusable (s).
VERSION_TIMEOUT_S = 30.0


class BrowserError(RuntimeError):
    """Chromium is missing or could not print the brief."""


def run_in_group(cmd: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """Run ``cmd`` in a process group of its own and wait at most ``timeout_s``; on a timeout, an
    error or an interruption (Ctrl-C, SIGTERM) the whole group is killed - Chromium's helper
    processes included - before the exception goes on."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except BaseException:
        _kill_group(proc)
        raise
    _kill_group(proc)  # helpers a finished browser left behind
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _die_with_parent() -> None:
    """In the child, before it starts: be killed when gridmodel dies, even by SIGKILL, which
    leaves no time to kill the group (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere nothing)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def usable_chromium(binary: str | None = None) -> tuple[str | None, str]:
    """(path of a Chromium that runs, "") or (None, why not): found (``binary``, else
    :func:`~gridmodel.resources.chromium_path`) and answering ``--version`` within
    ``VERSION_TIMEOUT_S``."""
    binary = binary or chromium_path()
    if binary is None:
        return None, "Chromium not found"
    try:
        done = run_in_group([binary, "--version"], VERSION_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"Chromium ({binary}) does not run: {err}"
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-2:])[:200]
        return None, f"Chromium ({binary}) does not run (exit {done.returncode}): {tail}"
    return binary, ""


def print_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (a fresh profile, no header/footer), in a
    process group of its own that is killed after ``PRINT_TIMEOUT_S`` or on any interruption."""
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
            done = run_in_group(cmd, PRINT_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise BrowserError(f"Chromium ({binary}) could not print the brief: {err}") from None
    if done.returncode != 0 or not Path(pdf).is_file() or Path(pdf).stat().st_size == 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise BrowserError(
            f"Chromium ({binary}) could not print the brief (exit {done.returncode}): {tail}"
        )
    return Path(pdf)
