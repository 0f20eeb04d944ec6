"""The ground layer: a listing's fields (``store.listing``), the schema and its migrations, row
encoding and stable ids, ``CourseStore``, crawl runs and the incremental state (``store.db``,
``store.runs``). Imports nothing from spiders/, pipelines/, translate/ or aggregator/."""
