"""The items every spider yields: ``Course`` (a learning opportunity as the source describes
it), ``Seen`` and ``Kept`` markers. Defined once, below the crawl, in ``store.listing``: the
schema, the content hash and the store follow from that one definition."""

from store.listing import COURSE_FIELDS, Course, HeldBack, Kept, Seen

__all__ = ["COURSE_FIELDS", "Course", "HeldBack", "Kept", "Seen"]
