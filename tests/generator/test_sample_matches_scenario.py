"""The committed data/sample/ is exactly what data/sample.yml renders to, file for file."""

from __future__ import annotations

from pathlib import Path

from billflow.generator import render
from billflow.paths import ROOT, SAMPLE_DIR

SCENARIO = ROOT / "data" / "sample.yml"
FIX = "re-render with `billflow generate --scenario data/sample.yml --out data/sample`"


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_committed_sample_is_the_rendered_scenario(tmp_path: Path) -> None:
    render(SCENARIO, tmp_path)
    rendered, committed = _files(tmp_path), _files(SAMPLE_DIR)
    assert sorted(rendered) == sorted(committed), FIX
    drifted = [name for name in rendered if rendered[name] != committed[name]]
    assert drifted == [], f"{drifted} differ from data/sample.yml; {FIX}"
