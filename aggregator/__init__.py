"""The aggregator's Python API: database, crawling, serving. The CLI is a thin layer over it."""

__version__ = "0.1.0"
