"""The Scrapy project: settings, the Course item, base spiders and one spider per source."""
