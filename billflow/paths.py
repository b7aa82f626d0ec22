"""Where the project's own files are, independent of the working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
DOCS_DIR = ROOT / "docs"
SAMPLE_DIR = ROOT / "data" / "sample"
