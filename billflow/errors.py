"""One exception tree for the project.

Every error a user can cause or fix is a `BillflowError`; its message is one line that says
what went wrong and what to do. The CLI prints it without a traceback. Tasks retry only on
`TransientError` (a network hiccup, a throttled API, a locked database).
"""


class BillflowError(Exception):
    """Base class: the message is shown to the user as it is."""


class ConfigError(BillflowError):
    """A setting is missing or malformed."""


class TransientError(BillflowError):
    """A fault that may pass on its own: worth retrying with backoff."""


class SourceError(BillflowError):
    """A source could not be read."""


class TransientSourceError(SourceError, TransientError):
    """A source answered 429, 5xx, timed out or reset the connection."""


class PermanentSourceError(SourceError):
    """A source refused the request or sent something unusable: retrying will not help."""


class MissingSourceError(PermanentSourceError):
    """A required source file or folder is absent."""


class InvalidPageError(PermanentSourceError):
    """A page is not valid JSON or not the shape its stream expects."""


class WarehouseUnavailableError(TransientError):
    """The warehouse cannot be reached or opened (down, wrong address, open elsewhere)."""


class WarehouseLockedError(BillflowError):
    """Another writing run holds the warehouse lock past the wait timeout."""


class ValidationFailedError(BillflowError):
    """A data-quality gate failed: publish is stopped and the marts stay as they were."""


class ConservationError(ValidationFailedError):
    """Staging records are not all accounted for by marts, not-yet-effective or quarantine."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (a driver's, often several lines long)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def out_of_memory(exc: BaseException) -> str | None:
    """What to do when DuckDB ran out of memory (`exc` or its cause), else None."""
    current: BaseException | None = exc
    while current is not None:
        if type(current).__name__ == "OutOfMemoryException":
            return (
                f"DuckDB ran out of memory ({one_line(current)}): raise duckdb_memory_limit "
                "(BILLFLOW_DUCKDB_MEMORY_LIMIT, default 2GB), or lower landing_batch_mb or "
                "duckdb_threads; see docs/configuration.md"
            )
        current = current.__cause__ or getattr(current, "orig", None)
    return None


def masked(url: str) -> str:
    """A SQLAlchemy URL with its password hidden: what may appear in logs, tables, messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
