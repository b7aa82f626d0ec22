"""Prefect flows: thin wiring that reads like DESIGN.md's data path."""
