"""Scrapy settings shared by every spider.

Polite by default: robots.txt obeyed, AutoThrottle on, few concurrent requests per host,
a User-Agent naming the project with a contact URL. Telnet console is off.
"""

import os

from store.indexes import DEFAULT_DEFER_INDEXES_AFTER

BOT_NAME = "nordic-course-aggregator"
PROJECT_URL = "https://github.com/nordic-course-aggregator/nordic-course-aggregator"

SPIDER_MODULES = ["spiders.providers"]
NEWSPIDER_MODULE = "spiders.providers"

USER_AGENT = f"nordic-course-aggregator/0.1 (+{PROJECT_URL})"
# Opintopolku asks third-party callers to identify themselves with this header.
CALLER_ID = "nordic-course-aggregator"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 60
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False

# Let 404 and other error responses reach the spider callbacks' errbacks for counting.
HTTPERROR_ALLOW_ALL = False

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("AGGREGATOR_LOG_LEVEL", "INFO")

# Where the store pipeline writes; the CLI passes --db through this setting.
AGGREGATOR_DB = os.environ.get("AGGREGATOR_DB", "aggregator.db")
# How many items the store pipeline writes in one transaction (and one statement): fewer, larger
# batches write each index page and full-text segment fewer times (the database build at 50,000
# listings: 1.9-2.1x the bare insert_all time with 500, 1.3-1.5x with 2,000).
AGGREGATOR_STORE_BATCH = 2000
# A run that has added this many new listings, and more than the table held when it started, is
# a bulk load: it builds the indexes of courses once when it ends instead of row by row
# (store.course_store.CourseStore; at 300,000 listings 6 s against about 35 s).
AGGREGATOR_DEFER_INDEXES_AFTER = DEFAULT_DEFER_INDEXES_AFTER

ITEM_PIPELINES = {
    "pipelines.provenance.ProvenancePipeline": 100,
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.normalise.NormalisePipeline": 300,
    "pipelines.validate.ValidatePipeline": 400,
    "pipelines.holdback.HoldBackPipeline": 420,
    "pipelines.unchanged.UnchangedPipeline": 450,
    "pipelines.language.LanguagePipeline": 500,
    "pipelines.translate.TranslatePipeline": 600,
    "pipelines.topics.TopicsPipeline": 700,
    "pipelines.store.StorePipeline": 900,
}

# Bounded work whatever a source sends: a response over DOWNLOAD_MAXSIZE is cancelled and counted
# (a full page of 2,000 Susa-navet events is a few MB); Retry-After is honoured up to
# AGGREGATOR_MAX_RETRY_AFTER seconds; redirects to another host are refused.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
AGGREGATOR_MAX_RETRY_AFTER = 600
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.RetryAfterMiddleware": 550,
    # process_response runs from the highest number down: before RedirectMiddleware (600) follows it
    "spiders.middlewares.OffsiteRedirectMiddleware": 650,
}
# The most pages one listing of a source may have: a page count that lies (or a server that
# answers every page) stops here, counted as an error, instead of crawling on for ever.
AGGREGATOR_MAX_PAGES = 5000

# Development aid: `-s HTTPCACHE_ENABLED=1` keeps responses under .scrapy/httpcache.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 24 * 3600
