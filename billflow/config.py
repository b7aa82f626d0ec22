"""Settings: one typed place, read once.

Values come, lowest to highest priority, from the defaults below, a TOML file (`billflow.toml`
in the working directory, or the path in BILLFLOW_CONFIG), environment variables prefixed
`BILLFLOW_`, and the CLI options that override single fields.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from billflow.errors import ConfigError

HUBSPOT_PROPERTY = "^[a-z][a-z0-9_]*$"  # a HubSpot property's internal name


class Settings(BaseSettings):
    """Every knob of a run. Field docs are the reference (docs/configuration.md lists them)."""

    model_config = SettingsConfigDict(env_prefix="BILLFLOW_", extra="forbid", frozen=True)

    warehouse_url: str = Field(
        "duckdb:///var/billflow.duckdb",
        description="SQLAlchemy URL: duckdb:///path.duckdb or postgresql+psycopg://user@host/db",
    )
    schema_prefix: str = Field("", description="prefix of every schema name (raw, staging, ...)")
    role_prefix: str = Field(
        "billflow_",
        pattern="^[a-z_][a-z0-9_]{0,39}$",
        description="PostgreSQL: prefix of the role names billflow grants creates "
        "(<prefix>accountant, <prefix>sales_manager, <prefix>sales_rep)",
    )
    source_dir: Path = Field(
        Path("data/sample"), description="folder of vendor pages (file source)"
    )
    stripe_webhook_secret: SecretStr | None = Field(
        None,
        description="the Stripe endpoint's signing secret (whsec_...), for billflow webhooks; "
        "from the environment (BILLFLOW_STRIPE_WEBHOOK_SECRET), never logged",
    )
    source: str = Field(
        "files",
        pattern="^(files|live)$",
        description="files: read vendor pages from source_dir; live: fetch them over HTTP "
        "(docs/connectors.md) into landing_dir",
    )
    landing_dir: Path = Field(
        Path("var/landing"),
        description="live source: where fetched pages and webhook events are kept",
    )
    sync_overlap_minutes: int = Field(
        10,
        ge=0,
        description="live source: each incremental pull starts this long before its bookmark",
    )
    hubspot_token: SecretStr | None = Field(None, description="HubSpot private-app token")
    hubspot_base_url: str = Field("https://api.hubapi.com", description="HubSpot API base URL")
    teamwork_token: SecretStr | None = Field(None, description="Teamwork.com API key")
    teamwork_base_url: str | None = Field(
        None, description="Teamwork.com site URL, e.g. https://yourcompany.teamwork.com"
    )
    harvest_token: SecretStr | None = Field(
        None, description="Harvest personal access token; none: Harvest is not read"
    )
    harvest_account_id: str | None = Field(None, description="Harvest account id")
    harvest_base_url: str = Field("https://api.harvestapp.com", description="Harvest API base URL")
    stripe_api_key: SecretStr | None = Field(
        None, description="Stripe restricted key (events read) for the catch-up pull"
    )
    stripe_base_url: str = Field("https://api.stripe.com", description="Stripe API base URL")
    http_attempts: int = Field(5, ge=1, le=20, description="live source: tries per request")
    http_timeout_seconds: float = Field(
        30.0, gt=0, description="live source: seconds a request may take"
    )
    company_timezone: str = Field("America/New_York", description="IANA zone of all periods")
    default_currency: str = Field("USD", description="currency of deals without one")
    default_terms_days: int = Field(30, ge=0, description="net days when a deal has no terms")
    contract_pipeline_id: str = Field("default", description="HubSpot pipeline of contracts")
    contract_stage_id: str = Field("contractsent", description="stage that makes a contract")
    change_order_pipeline_id: str = Field(
        "change_orders", description="HubSpot pipeline of change-order deals"
    )
    pending_item_days: int = Field(
        30, ge=0, description="days a change order waits for the contract's next invoice"
    )
    hours_tolerance_minutes: int = Field(
        0, ge=0, description="HOURS_MISMATCH tolerance, minutes per draft"
    )
    billed_pct_tolerance: Decimal = Field(
        Decimal(10),
        ge=0,
        description="BILLED_PCT_OVER_COMPLETION: percentage points a milestone may be billed "
        "ahead of its completion",
    )
    over_estimate_tolerance_pct: Decimal = Field(
        Decimal(10), ge=0, description="OVER_CAP: percent above the project's estimated hours"
    )
    overage_review_pct: Decimal = Field(
        Decimal(25),
        ge=0,
        description="RETAINER_OVERAGE: overage above this percent of the cycle's allocation "
        "waits for review",
    )
    late_fee_pct: Decimal = Field(
        Decimal("1.5"),
        ge=0,
        le=100,
        description="late fee: percent of an invoice's overdue balance per full 30 days past "
        "due (deal property billing_late_fee_pct overrides it; 0: no late fees)",
    )
    late_fee_grace_days: int = Field(
        0, ge=0, description="days past due before the first 30-day late-fee period starts"
    )
    late_fee_max_periods: int = Field(
        60, ge=1, le=600, description="30-day late-fee periods assessed at most per invoice"
    )
    late_edit_review_pct: Decimal = Field(
        Decimal(10),
        ge=0,
        description="LATE_EDIT_ADJUSTMENT: an adjustment above this percent of the adjusted "
        "invoice's subtotal waits for review",
    )
    aging_bucket_days: tuple[int, ...] = Field(
        (30, 60, 90), description="upper bounds (days past due) of the aging buckets"
    )
    forecast_weeks: int = Field(13, ge=1, le=104)
    lock_timeout_seconds: float = Field(
        300.0, ge=0, description="how long a writing run waits for the warehouse lock"
    )
    alert_webhook_url: str | None = Field(
        None,
        description="POST a JSON alert here when a flow run fails or crashes (flow, failed "
        "task, parameters, error); none: no alert",
    )
    alert_timeout_seconds: float = Field(10.0, gt=0, description="alert webhook timeout")
    nightly_cron: str = Field(
        "30 3 * * *", description="billflow serve: the nightly run's cron, company time zone"
    )
    sync_cron: str = Field(
        "0 * * * *", description="billflow serve: the source sync's cron, company time zone"
    )
    concurrency_limit: str = Field(
        "billflow-warehouse",
        description="Prefect global concurrency limit (1 slot) every writing flow run holds, "
        "so queued runs wait in Prefect; billflow serve creates it",
    )
    queue_timeout_seconds: float = Field(
        6 * 3600.0, gt=0, description="how long a flow run waits in Prefect for the slot"
    )
    duckdb_memory_limit: str | None = Field("2GB", description="DuckDB memory_limit, e.g. 4GB")
    duckdb_threads: int | None = Field(None, ge=1, description="DuckDB threads")
    duckdb_temp_directory: str | None = Field(None, description="DuckDB spill folder")
    landing_batch_mb: int = Field(64, ge=1, description="page files read per landing batch, MB")
    documents_dir: Path = Field(Path("var"), description="invoices/, contracts/, reports/ go here")
    templates_dir: Path | None = Field(None, description="your own document templates")
    document_workers: int | None = Field(None, ge=1, description="processes rendering documents")
    seller_name: str = Field("Your Company LLC", description="seller on every document")
    seller_address: str = Field("1 Example Street, Springfield", description="seller address")
    seller_tax_id: str = Field("", description="seller tax or VAT number")
    seller_email: str = Field("billing@example.com", description="where clients write")
    remittance: str = Field(
        "Bank transfer to Example Bank, IBAN XX00 0000 0000 0000, quoting the invoice number",
        description="how to pay, printed on invoices",
    )
    late_fee_clause: str = Field(
        "Overdue balances bear a late fee of {pct}% per full 30 days past due{grace}, simple "
        "interest, billed on a later invoice.",
        description="late-fee clause printed on invoices and contract summaries; {pct} and "
        "{grace} are the contract's (late_fee_pct, late_fee_grace_days)",
    )
    reminder_days: tuple[int, ...] = Field(
        (7, 14, 28), description="days past due on which a payment reminder is sent"
    )
    accounting_email: str | None = Field(
        None, description="address of accounting's overdue notices (default seller_email)"
    )
    outbox_webhook_url: str | None = Field(
        None, description="POST each outbox message here (JSON); none: write files"
    )
    outbox_dir: Path | None = Field(
        None, description="folder of outbox message files (default <documents_dir>/outbox)"
    )
    outbox_timeout_seconds: float = Field(
        10.0, gt=0, description="webhook request timeout, seconds"
    )
    hubspot_writeback: str = Field(
        "auto",
        pattern="^(auto|on|off)$",
        description="deal_amounts outbox messages (invoiced, paid, overdue per deal): auto queues "
        "them with the live source and a hubspot_token, on always, off never",
    )
    hubspot_invoiced_property: str = Field(
        "billflow_invoiced_amount",
        pattern=HUBSPOT_PROPERTY,
        description="deal property (number) written with the amount invoiced",
    )
    hubspot_paid_property: str = Field(
        "billflow_paid_amount",
        pattern=HUBSPOT_PROPERTY,
        description="deal property (number) written with the payments applied",
    )
    hubspot_overdue_property: str = Field(
        "billflow_overdue_amount",
        pattern=HUBSPOT_PROPERTY,
        description="deal property (number) written with the open balance overdue",
    )
    hubspot_as_of_property: str = Field(
        "billflow_amounts_as_of",
        pattern=HUBSPOT_PROPERTY,
        description="deal property (date) written with the as_of of the amounts",
    )

    @field_validator("company_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.upper()

    @field_validator("aging_bucket_days")
    @classmethod
    def _ascending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or list(value) != sorted(set(value)) or value[0] < 1:
            raise ValueError("aging_bucket_days must be ascending positive day counts")
        return value

    @field_validator("reminder_days")
    @classmethod
    def _reminder_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)) or (value and value[0] < 1):
            raise ValueError("reminder_days must be ascending positive day counts")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the CLI's non-empty options applied."""
        given = {key: value for key, value in changes.items() if value is not None}
        return self.model_copy(update=given) if given else self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.company_timezone)

    @property
    def outbox_folder(self) -> Path:
        """Where outbox messages are written when no webhook is set."""
        return self.outbox_dir or self.documents_dir / "outbox"

    @property
    def accounting_address(self) -> str:
        return self.accounting_email or self.seller_email

    @property
    def hubspot_writes(self) -> bool:
        """deal_amounts messages go to HubSpot itself: the live source with a hubspot_token."""
        token = self.hubspot_token
        return self.source == "live" and token is not None and bool(token.get_secret_value())

    @property
    def deal_amounts_queued(self) -> bool:
        """Whether a run queues deal_amounts messages (setting hubspot_writeback)."""
        return self.hubspot_writeback == "on" or (
            self.hubspot_writeback == "auto" and self.hubspot_writes
        )


def _config_file() -> Path | None:
    named = os.environ.get("BILLFLOW_CONFIG")
    if named:
        if not Path(named).is_file():
            raise ConfigError(f"BILLFLOW_CONFIG names {named}, which is not a file")
        return Path(named)
    default = Path("billflow.toml")
    return default if default.exists() else None


@cache
def load_settings() -> Settings:
    """Read the settings once per process; a bad value is a ConfigError with its field name."""
    try:
        return Settings()
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {_first_error(exc)}") from exc


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{where}: {first.get('msg')}"
    text = str(exc)
    if "error parsing value" in text:
        text += " (a list in an environment variable is JSON, e.g. [30, 60, 90])"
    return text
