"""billflow: deal-to-cash billing for IT service companies.

The domain rules live in plain modules here, with no Prefect import (only `cli` and
`prefect_env` reach Prefect, lazily); `tasks/` and `flows/` wire them into Prefect,
`connectors/` fetch source pages, `sql/` holds every set-based transformation.
"""

__version__ = "0.1.0"
