"""Headless Chromium (Debian's `chromium` package) for the report tests: the page's DOM after
its scripts ran, and a screenshot. `make test` installs chromium where it is missing.

The README's screenshot is made by the same code:

    python -m tests.report.chromium var/reports/report-2026-04-15.html docs/report.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BINARY = "chromium"
SCREEN = (1280, 2800)
_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests and CI run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",  # let the page's scripts draw the charts first
)


def chromium() -> str | None:
    """The chromium binary, or None where it is not installed."""
    return shutil.which(BINARY)


def dump_dom(page: Path) -> str:
    """The page's DOM, serialised after its scripts ran."""
    return _run(["--dump-dom", page.resolve().as_uri()])


def screenshot(page: Path, png: Path, size: tuple[int, int] = SCREEN) -> None:
    """A PNG of the page's top, `size` pixels (width, height)."""
    _run(
        [
            f"--window-size={size[0]},{size[1]}",
            f"--screenshot={png.resolve()}",
            page.resolve().as_uri(),
        ]
    )
    if not png.exists():
        raise RuntimeError(f"chromium wrote no screenshot of {page}")


def _run(arguments: list[str]) -> str:
    binary = chromium()
    if binary is None:
        raise RuntimeError(
            f"{BINARY} is not installed: apt-get install -y chromium (make test does)"
        )
    with tempfile.TemporaryDirectory(prefix="billflow-chromium-") as profile:
        result = subprocess.run(
            [binary, *_FLAGS, f"--user-data-dir={profile}", *arguments],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
    return result.stdout


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
