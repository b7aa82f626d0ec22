"""Time entries stream: memory stays flat however many are written.

Measured as the peak RSS (VmHWM) of a fresh process (tracemalloc would be exact but slows the
run tenfold). Not ru_maxrss: Linux carries it over from the parent across fork and exec, so a
big pytest process would inflate it. Holding 200k rendered entries would take several
hundred MB; streaming takes the interpreter plus one page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MB = 1024
"""VmHWM is in KiB."""

CHILD = """
import json, sys
from pathlib import Path
from billflow.generator import generate
counts = generate(Path(sys.argv[1]), 9, clients=50, projects=200, people=120,
                  entries=200_000, months=3)
status = Path("/proc/self/status").read_text().splitlines()
peak = int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
print(json.dumps({"entries": counts["teamwork.time"], "peak_kib": peak}))
"""


def test_200k_entries_render_in_small_memory(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["entries"] == 200_000
    assert result["peak_kib"] < 100 * MB, f"peak RSS {result['peak_kib'] // MB} MB: not streamed"
