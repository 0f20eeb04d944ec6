"""Values in words, the cross-border rules file and plain-word search, without a server."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from aggregator.web.border import TOPICS, across_the_border, apply_link, rules
from aggregator.web.search import plain_words
from aggregator.web.words import Words, safe_url
from pipelines.vocabularies import EDUCATION_TYPES

TODAY = date(2025, 7, 11)


@pytest.fixture
def words():
    return Words({}, today=TODAY)


def test_fees_are_said_as_the_source_says_them(words):
    assert words.fee({"fee_type": "maksuton", "country": "FI"}) == "Free"
    swedish_university = words.fee({"fee_type": "tuition_fee", "fee_amount": 65000.0, "country": "SE"})
    assert swedish_university.startswith("SEK 65,000 in total — non-EU/EEA citizens only")
    assert words.fee({"fee_type": "lukuvuosimaksu", "fee_amount": 12000, "country": "FI"}).startswith(
        "Tuition fee EUR 12,000 per academic year — non-EU/EEA citizens only"
    )
    assert words.fee({"fee_amount": 350.5, "country": "FI"}) == "EUR 350.50 (as the source gives it)"
    assert words.fee({}) == "not stated by the source"


def test_starts_and_application_windows_in_words(words):
    assert words.start({"start_date": "2025-08-01"}) == "starts in 3 weeks (1 August 2025)"
    assert words.start({"start_term": "2023-autumn", "start_from": "2023-08-01"}) == "started autumn 2023"
    assert words.start({"start_term": "individual"}).startswith("Individual start")
    assert words.window({"application_start": "2025-03-15", "application_end": "2025-04-15"}) == (
        "15 March 2025 – 15 April 2025 (closed)"
    )
    assert words.window({"application_end": "2025-08-01T23:59:00+02:00"}) == (
        "until 1 August 2025 (open now, closes in 3 weeks)"
    )
    assert words.window({"rolling_admission": 1}) == "continuous: apply at any time"
    assert words.listed("instruction_languages", '["sv", "en"]') == "Swedish, English"


def test_only_http_and_https_addresses_are_links():
    assert safe_url("https://www.kth.se/kurs") == "https://www.kth.se/kurs"
    for hostile in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "http:/x",
        None,
    ):
        assert safe_url(hostile) is None, hostile


def test_every_rule_names_its_official_source_and_the_day_it_was_checked():
    data = rules()
    assert data["rule"]
    for rule in data["rule"]:
        assert rule["topic"] in TOPICS and rule["country"] in ("FI", "SE")
        assert rule["source"].startswith("https://") and isinstance(rule["checked"], date)
        assert rule["verified"] is False  # written without the pages at hand: to be verified before publication
        assert set(rule["types"]) <= set(EDUCATION_TYPES) | {"*"}, rule["types"]


def test_a_rule_that_is_not_known_says_so_and_links_the_official_guidance(words):
    section = across_the_border({"country": "SE", "education_type": "arts_education"}, words)
    assert all(item["rule"] is None for item in section["items"])
    assert section["guidance"]["url"].startswith("https://")
    finnish = across_the_border(
        {"country": "FI", "education_type": "uas_programme", "instruction_languages": '["sv"]'}, words
    )
    assert finnish["from"] == "Sweden" and all(item["rule"] for item in finnish["items"])
    assert "a student from Sweden can study in Swedish" in finnish["taught"]


def test_apply_links_opintopolku_in_the_readers_language_and_planned_educations_in_words(words):
    page = "https://opintopolku.fi/konfo/fi/toteutus/1.2.246.562.17.00000000000000005375"
    swedish = apply_link({"url": page, "extras": '{"kielivalinta": ["fi", "sv"]}', "country": "FI"}, words)
    assert swedish["href"] == page.replace("/fi/", "/sv/") and swedish["others"] == [("suomeksi", page)]
    planned = apply_link(
        {
            "country": "SE",
            "education_type": "upper_secondary_adult",
            "provider_name": "Skellefteå kommun",
            "municipality": "Skellefteå",
            "application_end": "2025-08-01",
        },
        words,
    )
    assert planned["href"].startswith("https://") and "adult education office of Skellefteå" in planned["how"]
    assert apply_link({"country": "SE", "education_type": "higher_vocational"}, words) is None


def test_a_search_is_plain_words_and_never_an_fts_syntax_error():
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(text, tokenize='trigram')")
    conn.execute("insert into t values ('Hitsauksen perusteet'), ('Batteriteknik')")
    for query, found in (('"', 0), ("hitsau", 1), ('"batteri', 1), ("NOT AND (", 0), ("col:x*", 0), ("", 0)):
        assert conn.execute("select count(*) from t where t match ?", [plain_words(query)]).fetchone()[0] == found
