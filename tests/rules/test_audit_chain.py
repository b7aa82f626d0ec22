"""The hash chain of audit.events, in Python: the formula, and what `verify` says about an
edited, deleted or reordered row."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billflow.audit import ZERO_HASH, AuditEvent, Link, _chain, canonical_json, chain_problems


def chain(size: int) -> list[Link]:
    events = [
        AuditEvent(
            "invoice.issued",
            f"INV-2026-{n:06d}",
            date(2026, 2, 2),
            "run",
            {"total": Decimal("10.50") * n, "issue_date": date(2026, 2, 2)},
        )
        for n in range(1, size + 1)
    ]
    return _chain((0, ZERO_HASH), events)


def test_the_hash_formula() -> None:
    first = chain(1)[0]
    payload = '{"issue_date":"2026-02-02","total":"10.50"}'
    assert first.payload == payload
    text = f"{'0' * 64}\n1\ninvoice.issued\nINV-2026-000001\n{payload}"
    assert first.hash == hashlib.sha256(text.encode()).hexdigest()
    assert (first.seq, first.prev_hash) == (1, ZERO_HASH)


def test_canonical_json_is_sorted_compact_and_keeps_text_as_is() -> None:
    facts = {"b": None, "a": Decimal("-0.50"), "memo": "Chen's café", "lines": [3]}
    assert canonical_json(facts) == '{"a":"-0.50","b":null,"lines":[3],"memo":"Chen\'s café"}'


def test_an_intact_chain_has_no_problem() -> None:
    links = chain(6)
    assert chain_problems(links) == []
    assert [link.prev_hash for link in links[1:]] == [link.hash for link in links[:-1]]


def test_an_edited_row_is_named() -> None:
    links = chain(6)
    links[2] = replace(links[2], payload=links[2].payload.replace("31.50", "3.15"))
    assert chain_problems(links) == [
        "audit.events seq 3 (invoice.issued INV-2026-000003) was edited: "
        "its hash does not match its content"
    ]


def test_an_edited_row_with_its_hash_recomputed_is_named() -> None:
    links = chain(6)
    edited = replace(links[2], subject="INV-2026-000099")
    links[2] = replace(edited, hash=edited.content_hash())
    assert chain_problems(links) == [
        "audit.events seq 3 (invoice.issued INV-2026-000099) was edited and its hash "
        "recomputed: seq 4 was chained to a different hash"
    ]


def test_deleted_rows_are_named() -> None:
    links = chain(8)
    assert chain_problems(links[:3] + links[4:]) == [
        "audit.events seq 4 is missing (deleted): seq 5 follows seq 3"
    ]
    assert chain_problems(links[:2] + links[5:]) == [
        "audit.events seq 3 to 5 are missing (deleted): seq 6 follows seq 2"
    ]
    assert chain_problems(links[1:]) == [
        "audit.events seq 1 is missing (deleted): seq 2 starts the chain"
    ]


def test_a_swapped_pair_is_named_as_out_of_order() -> None:
    links = chain(8)
    swapped = [*links[:3], replace(links[4], seq=4), replace(links[3], seq=5), *links[5:]]
    assert chain_problems(swapped) == [
        "audit.events seq 4 (invoice.issued INV-2026-000005) is out of order: "
        "it was chained as seq 5",
        "audit.events seq 5 (invoice.issued INV-2026-000004) is out of order: "
        "it was chained as seq 4",
    ]


def test_rows_moved_far_apart_are_named() -> None:
    links = chain(9)
    moved = list(links)
    moved[1], moved[6] = replace(links[6], seq=2), replace(links[1], seq=7)
    assert chain_problems(moved) == [
        "audit.events seq 2 (invoice.issued INV-2026-000007) is out of order: "
        "it was chained as seq 7",
        "audit.events seq 7 (invoice.issued INV-2026-000002) is out of order: "
        "it was chained as seq 2",
    ]


@given(st.integers(min_value=2, max_value=12), st.data())
def test_any_single_edit_is_found_at_its_row(size: int, data: st.DataObject) -> None:
    links = chain(size)
    at = data.draw(st.integers(min_value=0, max_value=size - 1))
    links[at] = replace(links[at], event_type="credit_note.issued")
    problems = chain_problems(links)
    assert problems == [
        f"audit.events seq {at + 1} (credit_note.issued INV-2026-{at + 1:06d}) was edited: "
        "its hash does not match its content"
    ]
