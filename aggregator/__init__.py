"""The job and the CLI on top of the crawl: the crawl runner, the nightly job, exports, snapshots,
the replay server, and the public site (aggregator.web, a Datasette plugin)."""

__version__ = "0.1.0"
