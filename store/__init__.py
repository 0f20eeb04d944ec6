"""The ground layer, one file per job: the listing and each field's role (``listing``), rows, ids
and the content hash (``rows``), the schema and its migrations (``schema``), the database file,
its locks and the incremental state (``files``), bulk-load index deferral (``indexes``), one
run's writes (``course_store``), one offering, one listing (``offerings``), and crawl runs and
the removal rule (``runs``). Imports nothing from spiders/, pipelines/, translate/ or aggregator/."""
