"""billflow: deal-to-cash billing for IT service companies.

The domain rules live in plain modules here (no Prefect import); `tasks/` and `flows/` wire them
into Prefect, `connectors/` fetch source pages, `sql/` holds every set-based transformation.
"""

__version__ = "0.1.0"
