"""Pure functions that turn one source document into Course items: no crawling, no I/O."""
