"""Scrapy's own ceiling on this machine: the same Susa-navet event pages, parsed and yielded as
plain dicts, no pipelines. Run by bench/bench_crawl.py beside the real spider."""

import json

import scrapy


class BareSusanavetSpider(scrapy.Spider):
    name = "bare_susanavet"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
    }

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def start(self):
        yield scrapy.Request(f"{self.base_url}/educationEvents?page=0&size=2000", cb_kwargs={"page": 0})

    def parse(self, response, page):
        payload = json.loads(response.text)
        if page == 0:
            for number in range(1, payload["page"]["totalPages"]):
                yield scrapy.Request(
                    f"{self.base_url}/educationEvents?page={number}&size=2000", cb_kwargs={"page": number}
                )
        for event in payload["educationEvents"]:
            yield {"id": event["id"], "content": event.get("content")}
