"""Prefect tasks: thin, named wrappers around billflow's steps.

Each task retries only on transient faults (`billflow.errors.TransientError`), logs one line
with counts, and takes what a person reruns by. The logic lives in `billflow/`.
"""
