"""Persons' e-mail addresses and mobile numbers are masked in every text a source gives (titles,
provider and institution names, extras), not only descriptions, and in the change history,
and each one masked is counted."""

from __future__ import annotations

import json
import shutil
import sqlite3

from tests.conftest import FIXTURES, run_cli

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
OFFERING = "konfo-backend/external/toteutus/1.2.246.562.17.00000000000000009101"
PROGRAMME = "konfo-backend/external/koulutus/1.2.246.562.13.00000000000000009101"
PERSONS = ("matti.meikalainen@osao.fi", "040 123 4567", "+358 50 765 4321", "anna.virtanen@osao.fi")


def _hostile(responses, title: str) -> None:
    """Persons' contacts where a hostile source put them: the title, the provider's and the
    institution's names, and a programme name kept in extras."""
    path = responses / OFFERING
    offering = json.loads(path.read_text("utf-8"))
    offering["nimi"] = {"fi": title, "en": title}
    offering["organisaatio"]["nimi"]["fi"] = "OSAO, rehtori matti.meikalainen@osao.fi"
    offering["tarjoajat"][0]["nimi"]["fi"] = "OSAO, Kaukovainion yksikkö, p. +358 50 765 4321"
    path.write_text(json.dumps(offering, ensure_ascii=False), "utf-8")
    path = responses / PROGRAMME
    programme = json.loads(path.read_text("utf-8"))
    programme["nimi"] = {key: f"{value} (kysy: anna.virtanen@osao.fi)" for key, value in programme["nimi"].items()}
    path.write_text(json.dumps(programme, ensure_ascii=False), "utf-8")


def _everything(db) -> str:
    """Every text the database holds for the public, each table dumped."""
    with sqlite3.connect(db) as conn:
        tables = [name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")]
        return "\n".join(
            repr(conn.execute(f"select * from [{table}]").fetchall())
            for table in tables
            if table in {"courses", "providers", "course_changes", "course_duplicates", "course_topics"}
        )


def test_persons_contacts_are_masked_in_titles_names_extras_and_the_change_history(tmp_path):
    responses = tmp_path / "responses"
    shutil.copytree(FOUR, responses)
    _hostile(responses, "Sähköasennukset, opettaja 040 123 4567")
    db = tmp_path / "aggregator.db"
    run_cli("--db", str(db), "crawl", "opintopolku_fi", "--replay", str(responses))
    stored = _everything(db)
    assert not [person for person in PERSONS if person in stored], stored[:2000]
    with sqlite3.connect(db) as conn:
        title, provider, institution, extras = conn.execute(
            "select title, provider_name, institution_name, extras from courses where source_id like '%9101'"
        ).fetchone()
        counters = json.loads(conn.execute("select counters from crawl_runs order by id desc").fetchone()[0])
    assert title == "Sähköasennukset, opettaja [phone number removed]"
    assert "[e-mail address removed]" in (provider or "") + (institution or "")
    assert "[phone number removed]" in (provider or "") + (institution or "")
    assert "[e-mail address removed]" in extras
    assert counters["masked/title/phone"] >= 1 and counters["masked/extras/email"] >= 1
    assert counters["masked/email"] >= 2 and counters["masked/phone"] >= 2

    # an older version stored a person's address unmasked; the next crawl changes the title:
    # the change history keeps neither the old address nor the new number
    with sqlite3.connect(db) as conn:
        conn.execute("update courses set title = 'Sähköasennukset, anna.virtanen@osao.fi' where source_id like '%9101'")
    _hostile(responses, "Sähköasennukset, kysy +358 50 765 4321")
    run_cli("--db", str(db), "crawl", "opintopolku_fi", "--replay", str(responses))
    with sqlite3.connect(db) as conn:
        changes = conn.execute("select old_value, new_value from course_changes where field = 'title'").fetchall()
        counters = json.loads(conn.execute("select counters from crawl_runs order by id desc").fetchone()[0])
    assert ("Sähköasennukset, [e-mail address removed]", "Sähköasennukset, kysy [phone number removed]") in changes
    assert counters["masked/course_changes/email"] == 1
    assert not [person for person in PERSONS if person in _everything(db)]
