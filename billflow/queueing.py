"""The Prefect global concurrency limit every writing flow run holds, on top of the warehouse
lock: a second run waits in Prefect, visibly (its state says it waits for a slot), instead
of inside the lock's timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from billflow.config import Settings
from billflow.errors import WarehouseLockedError


def ensure_limit(name: str) -> None:
    """Create the limit with one slot unless it exists (an operator may have changed it)."""
    from httpx import HTTPStatusError
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1)
                )
            except HTTPStatusError as exc:
                if exc.response.status_code != 409:  # created meanwhile by another run
                    raise


@contextmanager
def writing_slot(settings: Settings) -> Iterator[None]:
    """Hold the limit's slot for the whole run; wait up to `queue_timeout_seconds`."""
    from prefect.concurrency.sync import concurrency

    ensure_limit(settings.concurrency_limit)
    with ExitStack() as stack:
        try:
            stack.enter_context(
                concurrency(
                    settings.concurrency_limit,
                    occupy=1,
                    timeout_seconds=settings.queue_timeout_seconds,
                    strict=True,
                )
            )
        except TimeoutError as exc:
            raise WarehouseLockedError(
                f"waited {settings.queue_timeout_seconds:.0f} s for the Prefect concurrency "
                f"limit {settings.concurrency_limit!r}, held by another run (see its runs in "
                "Prefect)"
            ) from exc
        yield
