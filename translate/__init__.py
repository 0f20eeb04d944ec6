"""English for every listing: translation backends, cache and glossary.

No Scrapy imports here: the same code translates during a crawl and backfills stored rows later.
"""
