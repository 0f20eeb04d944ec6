"""Text handling is linear in its input and masks persons' contact details."""

from __future__ import annotations

import time
from datetime import UTC

import pytest

from spiders.middlewares import retry_after_seconds
from translate.language import detector, plain_text
from translate.text import clean_description, clean_title, mask_personal_data, strip_cdata, truncate

MEGABYTE_TOKENS = {
    "letters": "a" * 1_000_000,
    "dots": "a." * 500_000,
    "unclosed tags": "<a" * 500_000,
    "unclosed cdata": "<![CDATA[" * 110_000,
    "at signs": "x@" * 500_000,
    "addresses": "www." * 250_000,
    "digits": "0401234567" * 100_000,
}


@pytest.mark.parametrize("name", MEGABYTE_TOKENS)
def test_every_text_step_takes_linear_time_on_a_megabyte_token(name):
    text = MEGABYTE_TOKENS[name]
    d = detector()
    for step in (clean_title, clean_description, plain_text, d.detect, mask_personal_data):
        started = time.perf_counter()
        step(text)
        # the quadratic patterns these replaced took minutes on such a token
        assert time.perf_counter() - started < 5, (name, step.__name__)


def test_persons_contacts_are_masked_and_offices_kept():
    text = (
        "Lisätietoja: matti.meikalainen@osao.fi, p. 040 123 4567, tai info@osao.fi, vaihde 08 558 4000. "
        "Ring Anna på 070-123 45 67 eller +46 70 123 45 67, studievagledning@skelleftea.se."
    )
    masked, emails, phones = mask_personal_data(text)
    assert (emails, phones) == (1, 3)
    assert "matti" not in masked and "123 4567" not in masked and "45 67" not in masked
    assert "info@osao.fi" in masked and "08 558 4000" in masked and "studievagledning@skelleftea.se" in masked


def test_truncation_and_cdata():
    assert truncate("word " * 10, 12) == ("word word…", True)
    assert truncate("short", 12) == ("short", False)
    assert strip_cdata("a<![CDATA[b]]>c<![CDATA[d") == "abc<![CDATA[d"


def test_retry_after_in_seconds_or_as_a_date():
    from datetime import datetime

    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"30") == 30
    assert retry_after_seconds("Sat, 28 Nov 2026 12:00:45 GMT", now) == 45
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
