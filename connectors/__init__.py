"""Connectors fetch pages as the vendors send them and hand them over as files.

A connector never parses records: the landing SQL splits pages into records and `sql/staging`
types them, so the file source and the live HTTP source share one parser.
"""
