"""The documents match the code."""

from __future__ import annotations

import re

from billflow import tables_doc
from billflow.config import Settings
from billflow.paths import DOCS_DIR, SQL_DIR
from connectors.streams import STREAMS


def test_tables_doc_is_generated_from_the_contracts() -> None:
    assert tables_doc.DOC_PATH.read_text() == tables_doc.render(), (
        "docs/tables.md is stale: run `python -m billflow.tables_doc`"
    )


def test_configuration_doc_lists_every_setting() -> None:
    text = (DOCS_DIR / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`{name}`" not in text]
    assert missing == []


def test_sources_doc_names_every_folder_and_quarantine_rule() -> None:
    text = (DOCS_DIR / "sources.md").read_text()
    assert [s.folder for s in STREAMS if f"`{s.folder}/" not in text] == []
    rules = set()
    for model in (SQL_DIR / "staging").glob("*.sql"):
        rules |= set(re.findall(r"then '([a-z]+_[a-z_]+)'", model.read_text()))
    assert rules, "no quarantine rules found in sql/staging"
    assert sorted(rule for rule in rules if f"`{rule}`" not in text) == []
