"""English for every listing, through the real argostranslate path with a tiny model the tests
build themselves: install from file, translate, cache, model upgrades, pending and backfill."""

from __future__ import annotations

import json
import shutil

import pytest
import sqlite_utils

from store.files import open_db
from tests.conftest import FIXTURES, SAMPLES, run_cli
from tests.harness import OfflineRun
from tests.tiny_argos import write_package_index
from translate import glossary
from translate.argos import ArgosTranslator, ModelError, install_from_file, installed_models
from translate.base import MACHINE, OFFICIAL, ORIGINAL, PENDING, PROVIDER
from translate.cache import TranslationCache
from translate.english import GLOSSARY_LIST, OFFICIAL_NAMES_LIST, EnglishService

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
SUSA = FIXTURES / "susanavet_se" / "six_school_forms" / "responses"


def test_a_tiny_package_installs_from_file_and_translates_through_argos(installed_in_process):
    model = installed_in_process("sv")
    assert model.model_id == "argos:translate-sv_en-tiny-1.0@1.0"
    translator = ArgosTranslator()
    assert translator.model_id("sv") == model.model_id and translator.model_id("fi") is None
    first = translator.translate(["Kursen handlar om batterier.", "Grundkurs i svetsning. Praktik inom kemi!"], "sv")
    assert all(isinstance(t, str) and t for t in first)
    assert translator.translate(["Kursen handlar om batterier."], "sv") == first[:1]  # deterministic
    assert translator.calls == 3


def swedish_texts_of_the_samples(limit: int = 60) -> list[str]:
    """Titles and descriptions of the recorded Planned Educations responses (none without them)."""
    path = SAMPLES / "se" / "skolverket-planned-educations" / "planned_educations_adult_events.json"
    if not path.is_file():
        return []
    found: set[str] = set()

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif (
            isinstance(value, str)
            and any(part in key.lower() for part in ("title", "description", "name"))
            and len(value) > 3
        ):
            found.add(value)

    walk(json.loads(path.read_text("utf-8")))
    return sorted(found)[:limit]


def test_batched_translation_gives_what_argos_gives_text_by_text(installed_in_process):
    import argostranslate.translate as argos

    installed_in_process("sv")
    texts = [
        "Kursen handlar om batterier.",
        "",
        "Grundkurs i svetsning. Praktik inom kemi!",
        "Första stycket.\n\nAndra stycket, efter en tom rad.\n- en punkt",
        "\nBörjar med en tom rad",
        "Kursen handlar om batterier.",
    ]
    texts += swedish_texts_of_the_samples()  # real titles and descriptions, where the shared samples are
    languages = {lang.code: lang for lang in argos.get_installed_languages()}
    one_by_one = [languages["sv"].get_translation(languages["en"]).translate(text).strip() for text in texts]
    translator = ArgosTranslator()
    assert translator.translate(texts, "sv") == one_by_one
    assert translator.calls == len(texts)


def test_the_cache_makes_a_second_translation_free_and_a_new_model_version_translates_again(
    installed_in_process, db_path, tiny_packages
):
    model = installed_in_process("sv")
    db = open_db(db_path)
    service = EnglishService(ArgosTranslator(), TranslationCache(db))
    texts = [
        "Kursen handlar om batterier.",
        "Utbildningen ger kunskaper i vätgas.\n\n- Praktik inom kemi\n- Grundkurs i svetsning",
    ]
    first, used = service.translate(texts, "sv")
    assert used == model.model_id and service.translator.calls == 4  # 1 + 3 segments
    again, _ = service.translate(texts, "sv")
    assert again == first and service.translator.calls == 4 and service.cache.hits == 4
    assert db["translations"].count == 4
    # upgrade: the 1.1 package replaces 1.0; the same text is translated again, by 1.1
    shutil.rmtree(model.path)
    newer = installed_in_process("sv-1.1")
    service.translator.refresh()
    _, used = service.translate(texts, "sv")
    assert used == newer.model_id != model.model_id
    assert service.translator.calls == 8 and db["translations"].count == 8


def test_descriptions_are_translated_block_by_block_keeping_their_structure(installed_in_process, db_path):
    installed_in_process("sv")
    service = EnglishService(ArgosTranslator(), TranslationCache(open_db(db_path)))
    text = (
        "Kursen handlar om batterier.\n\n- Praktik inom kemi\n- Grundkurs i svetsning\n\n"
        "Utbildningen ger kunskaper i vätgas."
    )
    out, _ = service.translate([text], "sv")
    lines = out[text].split("\n")
    assert len(lines) == 6 and lines[1] == "" and lines[4] == ""
    assert lines[2].startswith("- ") and lines[3].startswith("- ") and not lines[0].startswith("-")
    assert "<" not in out[text]


def test_methods_original_provider_official_pending():
    service = EnglishService(translator=None, cache=None)
    english = {"title": "Battery Chemistry", "title_effective_lang": "en"}
    assert service.decide("title", english).method == ORIGINAL
    provider = {
        "title": "Batterikemi",
        "title_effective_lang": "sv",
        "title_i18n": {"sv": "Batterikemi", "en": "Battery Chemistry"},
        "text_languages": {"title:en": {"effective": "en"}},
    }
    assert service.decide("title", provider).method == PROVIDER
    fake = {**provider, "text_languages": {"title:en": {"effective": "fi"}}}  # "English" that is Finnish
    assert service.decide("title", fake).method == PENDING
    official = {
        "title": "Ajoneuvoalan perustutkinto",
        "title_effective_lang": "fi",
        "extras": {
            "official_names": [
                {"fi": "Ajoneuvoalan perustutkinto", "en": "Vocational qualification in the Vehicle Sector"}
            ]
        },
    }
    decided = service.decide("title", official)
    assert (decided.text, decided.method) == ("Vocational qualification in the Vehicle Sector", OFFICIAL)
    assert decided.model == OFFICIAL_NAMES_LIST  # which list the official name came from
    glossary_term = service.decide("title", {"title": "Komvux", "title_effective_lang": "sv"})
    assert glossary_term.method == OFFICIAL and glossary_term.model == GLOSSARY_LIST
    assert service.decide("title", {"title": "DD1420", "title_effective_lang": "und"}).method == ORIGINAL


def test_glossary_terms_are_put_in_before_translation():
    assert (
        glossary.apply("Kursen ger 7,5 högskolepoäng inom yrkeshögskoleutbildning", "sv")
        == "Kursen ger 7,5 higher education credits inom higher vocational education programme"
    )
    assert (
        glossary.apply("Laajuus 180 osaamispistettä, ammatillinen perustutkinto", "fi")
        == "Laajuus 180 competence points, vocational qualification"
    )
    assert glossary.apply("Shopping", "sv") == "Shopping"  # "hp" only as a whole word


def test_without_a_model_the_crawl_completes_with_pending_fields():
    run = OfflineRun("susanavet_se", SUSA).run()
    by_id = {c.source_id: c for c in run.courses}
    yh = by_id["e.sv.yh.battprod.2482.20262"]
    assert (yh.title_en, yh.title_en_method) == (None, PENDING)
    assert by_id["e.uoh.ltu.k0012k.20262"].title_en_method == PROVIDER
    assert run.stats.get_value("aggregator/translate/method/pending") >= 4


def test_provider_english_that_is_really_finnish_is_not_marked_provider():
    run = OfflineRun("opintopolku_fi", FOUR).run()
    osao = next(c for c in run.courses if c.source_id.endswith("9101"))
    assert osao.description_i18n["en"].startswith("Opit")
    assert osao.description_en_method != PROVIDER


def _rows(db_path):
    return {r["source_id"]: r for r in sqlite_utils.Database(db_path)["courses"].rows}


def test_crawl_with_a_model_translates_and_a_second_crawl_makes_no_model_calls(db_path, argos_env, tiny_packages):
    run_cli("models", "install", "--from-file", str(tiny_packages["sv"]), env=argos_env)
    run_cli("models", "install", "--from-file", str(tiny_packages["fi"]), env=argos_env)
    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(SUSA), env=argos_env)
    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR), env=argos_env)
    rows = _rows(db_path)
    for row in rows.values():
        if (
            row["removed_at"] is None
            and row["title_effective_lang"] in ("sv", "fi")
            and row["title_en_method"] != "official"
        ):
            assert row["title_en"] and row["title_en_method"] in (MACHINE, PROVIDER), row["source_id"]
            if row["title_en_method"] == MACHINE:
                assert row["title_en_model"] == f"argos:translate-{row['title_effective_lang']}_en-tiny-1.0@1.0"
    assert any(r["title_en_method"] == MACHINE for r in rows.values())
    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(SUSA), env=argos_env)
    db = sqlite_utils.Database(db_path)
    runs = list(db["crawl_runs"].rows_where("source = 'susanavet_se'", order_by="id"))
    first, second = (json.loads(r["counters"]) for r in runs)
    assert first["translate/model_calls"] > 0
    # the listings' texts went to the model in batches, not one listing at a time
    assert first["translate/batched_listings"] > first["translate/batches"] >= 1
    # nothing translated again: unchanged listings are skipped, changed ones come from the cache
    assert second.get("translate/model_calls", 0) == 0
    assert second.get("translate/cache_hits", 0) + second.get("unchanged_skipped", 0) > 0


def test_pending_rows_are_filled_by_translate_after_installing_a_model(db_path, argos_env, tiny_packages):
    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(SUSA), env=argos_env)
    pending = [r for r in _rows(db_path).values() if r["title_en_method"] == PENDING]
    assert pending
    refused = run_cli("--db", db_path, "translate", env=argos_env, check=False)
    assert refused.returncode != 0 and "models install" in refused.stderr
    run_cli("models", "install", "--from-file", str(tiny_packages["sv"]), env=argos_env)
    listed = run_cli("models", "list", env=argos_env).stdout
    assert "sv->en" in listed and "translate-sv_en-tiny-1.0@1.0" in listed
    done = run_cli("--db", db_path, "translate", env=argos_env)
    assert "Translated" in done.stdout
    rows = _rows(db_path)
    for row in pending:
        after = rows[row["source_id"]]
        assert after["title_en_method"] == MACHINE and after["title_en"] and after["title_en_model"].endswith("@1.0")
    assert "Nothing to translate" in run_cli("--db", db_path, "translate", env=argos_env).stdout


def test_model_install_errors_say_what_to_do(tmp_path):
    bogus = tmp_path / "not-a-model.argosmodel"
    bogus.write_text("plain text", "utf-8")
    with pytest.raises(ModelError, match="not an Argos model"):
        install_from_file(bogus)
    with pytest.raises(ModelError, match="does not exist"):
        install_from_file(tmp_path / "missing.argosmodel")
    from translate.argos import install_from_index  # the tests' index is a closed local port: offline

    with pytest.raises(ModelError, match="--from-file"):
        install_from_index("sv")
    assert installed_models() == []


def _package_index(folder, tiny_packages, server_url):
    """The tiny sv->en (1.0 and 1.1) and fi->en packages in a package index served from ``folder``."""
    write_package_index(folder, [tiny_packages[key] for key in ("sv", "fi", "sv-1.1")], server_url)


def test_the_nightly_job_installs_its_models_from_the_package_index_once_then_translates(
    db_path, tmp_path, argos_env, tiny_packages
):
    from aggregator.replay import ReplayServer

    folder = tmp_path / "index"
    folder.mkdir()
    with ReplayServer(folder) as server:
        _package_index(folder, tiny_packages, server.base_url)
        # the versions pinned: 1.0, though the index lists a newer sv->en 1.1
        env = {**argos_env, "ARGOS_PACKAGE_INDEX": server.base_url + "/", "AGGREGATOR_MODEL_VERSIONS": "sv=1.0,fi=1.0"}
        first = run_cli(
            "--db", db_path, "nightly", "--only", "susanavet_se", "--replay", str(SUSA), "--no-export", env=env
        )
        downloads = [r["path"] for r in server.requests if r["path"].endswith(".argosmodel")]
        assert sorted(downloads) == sorted(f"/{tiny_packages[lang].name}" for lang in ("sv", "fi"))
        assert "installing the sv->en model" in first.stderr
        listed = run_cli("models", "list", env=env).stdout
        assert "translate-sv_en-tiny-1.0@1.0" in listed and "translate-fi_en-tiny-1.0@1.0" in listed
        server.requests.clear()
        run_cli("--db", db_path, "nightly", "--only", "susanavet_se", "--replay", str(SUSA), "--no-export", env=env)
        assert server.requests == []  # both models there: nothing fetched, not even the index
    rows = [r for r in _rows(db_path).values() if r["removed_at"] is None and r["title_effective_lang"] == "sv"]
    machine = [r for r in rows if r["title_en_method"] == MACHINE]
    assert machine and all(r["title_en_model"] == "argos:translate-sv_en-tiny-1.0@1.0" for r in machine)
    assert any(r["description_en_method"] == MACHINE and r["description_en"] for r in rows)
    assert not any(r["title_en_method"] == PENDING for r in rows)


def test_a_pinned_version_the_index_does_not_list_is_not_replaced_by_another(tmp_path, argos_env, tiny_packages):
    from aggregator.replay import ReplayServer
    from translate.argos import MODEL_VERSIONS

    assert set(MODEL_VERSIONS) == {"sv", "fi"}
    folder = tmp_path / "index"
    folder.mkdir()
    with ReplayServer(folder) as server:
        _package_index(folder, tiny_packages, server.base_url)
        env = {**argos_env, "ARGOS_PACKAGE_INDEX": server.base_url + "/"}
        # the project's own pins (the public index's versions) are not in this index
        result = run_cli("models", "install", env=env, check=False)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert f"not the version {MODEL_VERSIONS['sv']}" in result.stderr and "1.0, 1.1" in result.stderr
        assert not any(r["path"].endswith(".argosmodel") for r in server.requests)
        run_cli("models", "install", env={**env, "AGGREGATOR_MODEL_VERSIONS": "sv=1.1,fi=1.0"})
        listed = run_cli("models", "list", env=env).stdout
        assert "translate-sv_en-tiny-1.1@1.1" in listed and "translate-fi_en-tiny-1.0@1.0" in listed


def test_offline_the_nightly_job_finishes_with_pending_english_and_one_line_of_advice(db_path, argos_env):
    result = run_cli(
        "--db",
        db_path,
        "nightly",
        "--only",
        "susanavet_se",
        "--replay",
        str(SUSA),
        "--no-export",
        env={**argos_env, "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    advice = [line for line in result.stderr.splitlines() if line.startswith("Translation models not installed")]
    assert len(advice) == 1 and "aggregator models install" in advice[0] and "--from-file" in advice[0]
    assert "Traceback" not in result.stderr
    assert any(r["title_en_method"] == PENDING for r in _rows(db_path).values())
    skipped = run_cli(
        "--db",
        db_path,
        "nightly",
        "--only",
        "susanavet_se",
        "--replay",
        str(SUSA),
        "--no-export",
        "--no-models",
        env={**argos_env, "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/"},
    )
    assert "Translation models not installed" not in skipped.stderr
