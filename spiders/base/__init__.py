"""Base classes that source spiders are built on."""

from spiders.base.json_api import JsonApiSpider

__all__ = ["JsonApiSpider"]
