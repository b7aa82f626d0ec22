"""The cash forecast (weekly, monthly) and its accuracy, on a small edit of the sample company
run the way the nightly flow runs it (without Prefect), on DuckDB and on PostgreSQL.

The company keeps four deals and no time entries, and its payments are the test's own:
- Westbrook (C-18408, USD, terms 30): 46,000.00 at 25% on signature (20 Feb), 40% on milestone
  4201 (completed 12 Mar), 35% on 10 Apr: 11,500.00, 18,400.00, 16,100.00.
- Wayne (C-18424, USD, terms 30): 30,000.00 at 50% on milestone 4501 (deadline 27 Mar
  00:00 UTC, 26 Mar in the company's time zone; completed 25 Mar; its draft is held,
  SCHEDULE_MISMATCH) and 50% on 30 Jun: 15,000.00 each.
- Acme (C-18413, USD, terms 30, no tax): retainer from 16 Mar at 5,000.00 a month, 6,000.00 from
  16 Apr. March: half-up(5,000.00 x 16 / 31) = 2,580.65; April: (5,000.00 x 15 + 6,000.00 x 15)
  / 30 = 5,500.00; then 6,000.00.
- Umbrella (18404, EUR): a pipeline deal of 1,234.57 at stage qualifiedtobuy (40%), closing
  31 Mar, terms 15: half-up(1,234.57 x 0.4 = 493.828) = 493.83, expected 31 Mar + 15 = 15 Apr.

Every figure below is computed by hand from that.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path

import pytest

from billflow.config import Settings
from tests.helpers import ScenarioCase, sample_scenario

MARCH_16 = date(2026, 3, 16)  # a Monday: weeks 16 Mar .. 14 Jun
APRIL_22 = date(2026, 4, 22)  # a Wednesday: weeks 20 Apr .. 19 Jul


@pytest.fixture
def case(any_settings: Settings, tmp_path: Path) -> ScenarioCase:
    scenario = sample_scenario()
    deals = {deal["id"]: deal for deal in scenario["deals"]}
    umbrella = deals["18404"]
    umbrella.update(
        amount="1234.57",
        currency="EUR",
        stage="qualifiedtobuy",
        close_date="2026-03-31T00:00:00Z",
        billing={"terms_days": "15"},
    )
    # 18407 is closed lost: neither a contract nor in the forecast
    scenario["deals"] = [deals[key] for key in ("18408", "18424", "18413", "18404", "18407")]
    scenario["time_entries"] = []
    scenario["payments"] = []
    return ScenarioCase(any_settings, scenario, tmp_path / "case")


def weekly(case: ScenarioCase, as_of: date) -> list[tuple[object, ...]]:
    return case.rows(
        "select week_start, currency, source, expected_amount, items from {marts}.cash_forecast "
        f"where as_of = date '{as_of}' and expected_amount <> 0 order by 1, 2, 3"
    )


def test_the_forecast_of_two_runs_and_its_accuracy(case: ScenarioCase) -> None:
    case.run(MARCH_16)
    # Issued on 16 Mar, due 15 Apr (+ terms 30): Westbrook's 11,500.00 and 18,400.00, Acme's
    # March 2,580.65. Nobody has paid anything yet: due dates alone.
    # Not invoiced: Westbrook #3 on 10 Apr + 30 = 10 May; Wayne #1 on its milestone's deadline
    # 26 Mar + 30 = 25 Apr; Wayne #2 on 30 Jun + 30 = 30 Jul (after the 13 weeks); Acme April
    # 1 Apr + 30 = 1 May, May 31 May, June 1 Jul (after).
    assert weekly(case, MARCH_16) == [
        (date(2026, 4, 13), "EUR", "pipeline", D("493.830"), 1),
        (date(2026, 4, 13), "USD", "open_invoice", D("32480.650"), 3),  # 11,500 + 18,400 + 2,580.65
        (date(2026, 4, 20), "USD", "installment", D("15000.000"), 1),
        (date(2026, 4, 27), "USD", "retainer", D("5500.000"), 1),
        (date(2026, 5, 4), "USD", "installment", D("16100.000"), 1),
        (date(2026, 5, 25), "USD", "retainer", D("6000.000"), 1),
    ]
    # zero-filled: 13 weeks x 2 currencies x 4 sources
    assert case.rows(
        "select count(*), min(week_start), max(week_end) from {marts}.cash_forecast "
        f"where as_of = date '{MARCH_16}'"
    ) == [(104, MARCH_16, date(2026, 6, 14))]
    assert case.rows(
        "select basis from {marts}.cash_forecast where as_of = date '2026-03-16' "
        "and week_start = date '2026-04-20' and source = 'installment' and currency = 'USD'"
    ) == [
        (
            "trigger date + terms + client average delay (0 of 1 with payment history): "
            "C-18424 #1 on milestone 4501 deadline 2026-03-26 + 30 days terms, no payment "
            "history: 2026-04-25",
        )
    ]
    assert case.rows(
        "select basis from {marts}.cash_forecast where as_of = date '2026-03-16' "
        "and week_start = date '2026-04-13' and currency = 'EUR' and source = 'pipeline'"
    ) == [
        (
            "amount x stage probability, at close date + terms: deal 18404 Umbrella - Security "
            "audit: 1234.57 x 40% (stage 'qualifiedtobuy'), closes 2026-03-31 + 15 days terms: "
            "2026-04-15",
        )
    ]

    # Westbrook pays #1 on 20 Mar (due 15 Apr: 26 days early), Acme March on 16 Apr (1 late)
    case.pay("C-18408:installment:1", "11500.00", "2026-03-20T15:00:00Z")
    case.pay("C-18413:retainer:2026-03", "2580.65", "2026-04-16T15:00:00Z")
    case.run(APRIL_22)
    # Open: Westbrook #2 18,400.00 due 15 Apr - 26 = 20 Mar, past: the first week; #3 issued
    # 22 Apr, due 22 May - 26 = 26 Apr; Acme April 5,500.00 issued 22 Apr, due 22 May + 1 = 23 May.
    # Wayne #1: its held draft, 15,000.00, on completion 25 Mar + 30 = 24 Apr.
    # Acme May: 1 May + 30 + 1 = 1 Jun; June: 2 Jul; July 1 Aug (after the 13 weeks).
    # Umbrella: 15 Apr is past: the first week.
    assert weekly(case, APRIL_22) == [
        (date(2026, 4, 20), "EUR", "pipeline", D("493.830"), 1),
        (date(2026, 4, 20), "USD", "installment", D("15000.000"), 1),
        (date(2026, 4, 20), "USD", "open_invoice", D("34500.000"), 2),  # 18,400 + 16,100
        (date(2026, 5, 18), "USD", "open_invoice", D("5500.000"), 1),
        (date(2026, 6, 1), "USD", "retainer", D("6000.000"), 1),
        (date(2026, 6, 29), "USD", "retainer", D("6000.000"), 1),
    ]
    assert case.rows(
        "select basis from {marts}.cash_forecast where as_of = date '2026-04-22' "
        "and week_start = date '2026-04-20' and source = 'open_invoice' and currency = 'USD'"
    ) == [
        (
            "due date + client average delay (2 of 2 with payment history): "
            f"{case.invoice_number('C-18408:installment:2')} Westbrook Studio, due 2026-04-15 "
            "+ client average delay -26 days: 2026-03-20; "
            f"{case.invoice_number('C-18408:installment:3')} Westbrook Studio, due 2026-05-22 "
            "+ client average delay -26 days: 2026-04-26",
        )
    ]
    # the months from April 2026 to March 2027; Wayne #2 (30 Jul) and every Acme cycle to
    # February 2027 (1 Feb + 31 = 4 Mar) fall in them, March 2027's (1 Apr 2027) does not
    monthly = case.rows(
        "select month, currency, source, expected_amount from {marts}.cash_forecast_monthly "
        f"where as_of = date '{APRIL_22}' and expected_amount <> 0 order by 1, 2, 3"
    )
    retainer_months = [
        "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12",
        "2027-01", "2027-02", "2027-03",
    ]  # fmt: skip
    assert [row for row in monthly if row[2] != "retainer"] == [
        ("2026-04", "EUR", "pipeline", D("493.830")),
        ("2026-04", "USD", "installment", D("15000.000")),
        ("2026-04", "USD", "open_invoice", D("34500.000")),
        ("2026-05", "USD", "open_invoice", D("5500.000")),
        ("2026-07", "USD", "installment", D("15000.000")),
    ]
    assert [(row[0], row[3]) for row in monthly if row[2] == "retainer"] == [
        (month, D("6000.000")) for month in retainer_months
    ]
    assert case.rows(
        "select count(*), min(month_start), max(month_end) from {marts}.cash_forecast_monthly "
        f"where as_of = date '{APRIL_22}'"
    ) == [(96, date(2026, 4, 1), date(2027, 3, 31))]
    # the first run's forecast is kept
    assert case.rows("select count(distinct as_of) from {marts}.cash_forecast_monthly") == [(2,)]

    # Accuracy of the 16 Mar forecast over the five weeks that ended before 22 Apr: receipts
    # after 16 Mar were 11,500.00 on 20 Mar and 2,580.65 on 16 Apr.
    # Week of 13 Apr, USD: 32,480.65 - 2,580.65 = 29,900.00 too high; / 2,580.65 = 11.586228...
    assert case.rows(
        "select forecast_as_of, week_start, weeks_ahead, currency, forecast_amount, "
        "actual_amount, error, abs_error, error_share from {marts}.forecast_accuracy "
        "where forecast_amount <> 0 or actual_amount <> 0 order by 2, 4"
    ) == [
        (MARCH_16, MARCH_16, 0, "USD", D("0"), D("11500"), D("-11500"), D("11500"), D("-1")),
        (
            MARCH_16,
            date(2026, 4, 13),
            4,
            "EUR",
            D("493.83"),
            D("0"),
            D("493.83"),
            D("493.83"),
            None,
        ),
        (
            MARCH_16,
            date(2026, 4, 13),
            4,
            "USD",
            D("32480.65"),
            D("2580.65"),
            D("29900.00"),
            D("29900.00"),
            D("11.586228"),
        ),
    ]
    assert case.rows("select count(*) from {marts}.forecast_accuracy") == [(10,)]  # 5 weeks x 2


def test_items_without_a_date_are_left_out_and_named(case: ScenarioCase) -> None:
    deals = {deal["id"]: deal for deal in case.scenario["deals"]}
    # Wayne's first installment waits for a milestone Teamwork does not have: no deadline
    deals["18424"]["billing"]["payment_schedule"] = "50:milestone=4999;50:date=2026-06-30"
    # a second pipeline deal, with no close date
    case.scenario["deals"].append(
        {**deals["18404"], "id": "18499", "name": "Umbrella - Pen test", "close_date": None}
    )
    case.run(MARCH_16)
    assert case.rows(
        "select item_ref from {build}.int_forecast_items where expected_date is null order by 1"
    ) == [("18499",), ("C-18424:installment:1",)]
    first_week = dict(
        case.rows(
            "select source, basis from {marts}.cash_forecast where as_of = date '2026-03-16' "
            "and week_start = date '2026-03-16' and ((source = 'installment' and currency = "
            "'USD') or (source = 'pipeline' and currency = 'EUR'))"
        )
    )
    assert first_week == {
        "installment": "trigger date + terms + client average delay: nothing expected; "
        "left out: C-18424 #1: milestone 4999 not completed, without a deadline",
        "pipeline": "amount x stage probability, at close date + terms: nothing expected; "
        "left out: deal 18499 Umbrella - Pen test: no close date",
    }


def test_the_items_add_up_to_the_weekly_forecast_with_their_deals_and_owners(
    case: ScenarioCase,
) -> None:
    """marts.cash_forecast_items: the forecast item by item, with the deal and its HubSpot owner
    (what a sales rep's login is shown, docs/operations.md)."""
    case.run(MARCH_16)
    assert case.rows(
        "select week_start, currency, source, sum(amount), cast(count(*) as integer) "
        "from {marts}.cash_forecast_items where week_start <= date '2026-06-08' "
        "group by 1, 2, 3 order by 1, 2, 3"
    ) == weekly(case, MARCH_16)
    assert case.rows(
        "select source, contract_code, deal_id, sales_rep_id, cast(count(*) as integer), "
        "min(expected_date), count(week_start) from {marts}.cash_forecast_items "
        "group by 1, 2, 3, 4 order by 1, 2"
    ) == [
        # Westbrook #3 on 10 Apr + 30; Wayne #1 on 26 Mar + 30 (and #2 on 30 Jun + 30)
        ("installment", "C-18408", "18408", "910901", 1, date(2026, 5, 10), 1),
        ("installment", "C-18424", "18424", "910902", 2, date(2026, 4, 25), 2),
        ("open_invoice", "C-18408", "18408", "910901", 2, date(2026, 4, 15), 2),
        ("open_invoice", "C-18413", "18413", "910902", 1, date(2026, 4, 15), 1),
        ("pipeline", None, "18404", "910902", 1, date(2026, 4, 15), 1),
        # Acme's cycles April 2026 to February 2027, the monthly forecast's 12 months
        ("retainer", "C-18413", "18413", "910902", 11, date(2026, 5, 1), 11),
    ]
