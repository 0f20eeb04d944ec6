"""Synthetic responses at national scale, shaped like the real samples, for benchmarks.

    .venv/bin/python bench/synthetic.py OUT_DIR [--events 300000] [--implementations 50000]

Writes a replay folder (serve it with `aggregator replay OUT_DIR` or `--replay OUT_DIR`):
Susa-navet EMIL 3 events, infos and providers in pages of 2000 under /susa-navet/emil3/, and
Opintopolku toteutus and koulutus documents with a toteutus sitemap under /konfo-backend/.
Texts are built from course-like Swedish and Finnish phrases, combined so that most are
distinct (as real titles and descriptions mostly are); seeded, so every run writes the same.
Subjects come from a vocabulary of 400 per language (compounds of field and head words, as
Swedish and Finnish course names are), drawn with a Zipf-like skew: a few subjects are common,
most are rare, so a search for a title word matches about the share of listings it does in the
real samples (bench_datasette.py prints both) rather than one in twelve.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SV_SUBJECTS = [
    "batteriteknik",
    "svetsning",
    "elkraftteknik",
    "automation",
    "processkemi",
    "gruvteknik",
    "vätgasteknik",
    "återvinning",
    "underhåll",
    "logistik",
    "ekonomi",
    "vård och omsorg",
    "programmering",
    "byggteknik",
    "matematik",
    "svenska",
    "engelska",
    "dataanalys",
    "projektledning",
    "energiteknik",
    "kemi",
    "mekatronik",
    "elinstallation",
]
SV_FORMS = [
    "Grundkurs i {}",
    "{} för yrkesverksamma",
    "Fördjupning i {}",
    "{} – distans",
    "Introduktion till {}",
    "{} i praktiken",
]
SV_SENTENCES = [
    "Kursen ger grundläggande kunskaper i {}.",
    "Du lär dig planera och genomföra arbete inom {}.",
    "Utbildningen innehåller praktik på en arbetsplats inom {}.",
    "Studierna kombinerar teori och laborationer i {}.",
    "Efter kursen kan du analysera och förbättra processer inom {}.",
    "Undervisningen sker i grupp med handledning i {}.",
]
FI_SUBJECTS = [
    "akkutekniikka",
    "hitsaus",
    "sähkövoimatekniikka",
    "automaatio",
    "prosessitekniikka",
    "kaivostekniikka",
    "vetytalous",
    "kierrätys",
    "kunnossapito",
    "logistiikka",
    "liiketalous",
    "hoitotyö",
    "ohjelmointi",
    "rakennustekniikka",
    "matematiikka",
    "tietotekniikka",
    "kemia",
    "mekatroniikka",
    "energiatekniikka",
]
FI_FORMS = [
    "{} perusteet",
    "{} ammattilaisille",
    "{} syventävät opinnot",
    "{} verkko-opintoina",
    "Johdatus: {}",
    "{} käytännössä",
]
FI_SENTENCES = [
    "Opintojaksolla perehdytään aiheeseen {}.",
    "Opiskelija oppii suunnittelemaan ja toteuttamaan tehtäviä: {}.",
    "Koulutukseen sisältyy harjoittelu työpaikalla, painopisteenä {}.",
    "Opinnoissa yhdistyvät teoria ja laboratoriotyöt, aiheena {}.",
    "Kurssin jälkeen osaat kehittää prosesseja alalla {}.",
    "Opetus tapahtuu ryhmissä ohjatusti, teemana {}.",
]
SE_MUNICIPALITIES = [
    "2482",
    "2480",
    "2580",
    "0180",
    "1480",
    "1280",
    "0380",
    "2281",
    "2262",
    "2421",
    "0580",
    "1880",
    "2180",
]
FI_MUNICIPALITIES = [
    ("564", "Oulu"),
    ("272", "Kokkola"),
    ("285", "Kotka"),
    ("286", "Kouvola"),
    ("405", "Lappeenranta"),
    ("905", "Vaasa"),
    ("091", "Helsinki"),
    ("837", "Tampere"),
    ("853", "Turku"),
    ("179", "Jyväskylä"),
]
SV_FIELDS = [
    "batteri",
    "el",
    "vätgas",
    "process",
    "data",
    "bygg",
    "svets",
    "gruv",
    "energi",
    "material",
    "fordons",
    "maskin",
    "styr",
    "regler",
    "miljö",
    "vatten",
    "skogs",
    "trä",
    "livsmedels",
    "hälso",
    "fastighets",
    "kyl",
    "värme",
    "ventilations",
    "plåt",
    "industri",
    "produktions",
    "kvalitets",
    "mät",
    "säkerhets",
    "drift",
    "nät",
    "kraft",
    "sol",
    "vind",
    "metall",
    "stål",
    "plast",
    "lager",
    "transport",
    "handels",
    "redovisnings",
    "löne",
    "personal",
    "ledarskaps",
    "kommunikations",
    "medie",
    "programvaru",
    "webb",
    "informations",
    "cyber",
    "robot",
    "laser",
    "fiber",
    "mark",
    "anläggnings",
    "kemikalie",
    "avfalls",
    "fordonsel",
    "laddnings",
    "elnäts",
    "cell",
    "anod",
]
SV_HEADS = [
    "teknik",
    "kemi",
    "säkerhet",
    "installation",
    "underhåll",
    "konstruktion",
    "ekonomi",
    "analys",
    "design",
    "produktion",
    "logistik",
    "system",
    "mätning",
    "planering",
    "service",
    "montering",
    "styrning",
    "utveckling",
    "projektering",
    "kunskap",
    "hantering",
    "teori",
]
FI_FIELDS = [
    "akku",
    "sähkö",
    "vety",
    "prosessi",
    "data",
    "rakennus",
    "hitsaus",
    "kaivos",
    "energia",
    "materiaali",
    "ajoneuvo",
    "kone",
    "ohjaus",
    "säätö",
    "ympäristö",
    "vesi",
    "metsä",
    "puu",
    "elintarvike",
    "terveys",
    "kiinteistö",
    "kylmä",
    "lämpö",
    "ilmanvaihto",
    "levy",
    "teollisuus",
    "tuotanto",
    "laatu",
    "mittaus",
    "turvallisuus",
    "käyttö",
    "verkko",
    "voima",
    "aurinko",
    "tuuli",
    "metalli",
    "teräs",
    "muovi",
    "varasto",
    "kuljetus",
    "kauppa",
    "kirjanpito",
    "palkka",
    "henkilöstö",
    "johtamis",
    "viestintä",
    "media",
    "ohjelmisto",
    "web",
    "tieto",
    "kyber",
    "robotti",
    "laser",
    "kuitu",
    "maa",
    "kemikaali",
    "jäte",
    "lataus",
    "sähköverkko",
    "kenno",
    "anodi",
    "katodi",
    "kierrätys",
]
FI_HEADS = [
    "tekniikka",
    "kemia",
    "turvallisuus",
    "asennus",
    "kunnossapito",
    "suunnittelu",
    "talous",
    "analytiikka",
    "tuotanto",
    "logistiikka",
    "järjestelmät",
    "mittaus",
    "huolto",
    "ohjaus",
    "kehitys",
    "osaaminen",
    "hallinta",
    "prosessit",
    "palvelut",
    "teknologia",
    "innovaatiot",
]
# Zipf-like skew of the subjects' frequencies: the commonest is in about 5 % of listings, the
# median one in about 0.4 % (a real title word's median share of the Opintopolku sample: 0.4 %)
SUBJECTS_PER_LANGUAGE = 400
ZIPF_EXPONENT = 0.5
PAGE = 2000


class Vocabulary:
    """Subjects in a seeded random order of frequency, with their cumulative draw weights."""

    def __init__(self, curated: list[str], fields: list[str], heads: list[str], rng: random.Random) -> None:
        compounds = [field + head for field in fields for head in heads if field + head not in curated]
        rng.shuffle(compounds)
        self.subjects = curated + compounds[: SUBJECTS_PER_LANGUAGE - len(curated)]
        rng.shuffle(self.subjects)
        total, self.cumulative = 0.0, []
        for rank in range(1, len(self.subjects) + 1):
            total += rank**-ZIPF_EXPONENT
            self.cumulative.append(total)

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.subjects, cum_weights=self.cumulative, k=k)


def _text(rng: random.Random, forms, sentences, subjects: Vocabulary, n: int) -> tuple[str, str]:
    subject, other = subjects.draw(rng, 2)
    title = rng.choice(forms).format(subject).capitalize() + f" {rng.randint(1, 9999)}"
    description = " ".join(rng.choice(sentences).format(rng.choice([subject, other])) for _ in range(n))
    return title, description


def _ls(**texts: str) -> dict:
    return {"strings": [{"lang": lang, "value": value} for lang, value in texts.items()]}


def susanavet(out: Path, events: int, rng: random.Random) -> None:
    subjects = Vocabulary(SV_SUBJECTS, SV_FIELDS, SV_HEADS, rng)
    root = out / "susa-navet" / "emil3"
    (out / "recorded").mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    manifest = []

    def pages(kind: str, records: list) -> None:
        total = max(1, (len(records) + PAGE - 1) // PAGE)
        for number in range(total):
            body = {
                "links": [],
                kind: records[number * PAGE : (number + 1) * PAGE],
                "page": {"size": PAGE, "totalElements": len(records), "totalPages": total, "pageNumber": number},
            }
            name = f"recorded/{kind}-{number}.json"
            (out / name).write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")), "utf-8")
            manifest.append({"path": f"/susa-navet/emil3/{kind}", "query": {"page": str(number)}, "body_file": name})

    providers = [
        {
            "id": f"p.sv.bench.{i}",
            "status": "ACTIVE",
            "content": {
                "identifier": f"p.sv.bench.{i}",
                "name": _ls(swe=f"Utbildningsanordnare {i}"),
                "url": {"urls": [{"lang": "swe", "value": f"www.anordnare{i}.se"}]},
            },
        }
        for i in range(max(50, events // 40))
    ]
    types = [("HS", "hp", 7.5), ("YH", "yh", 400), ("VUXGY", "gy", 100), ("FHS", None, None), ("AUB", None, None)]
    infos = []
    for i in range(max(100, events // 5)):
        school, system, credits = types[i % len(types)]
        title, description = _text(rng, SV_FORMS, SV_SENTENCES, subjects, 4)
        content = {
            "identifier": f"i.sv.bench.{i}",
            "code": f"B{i:05d}",
            "title": _ls(swe=title),
            "description": _ls(swe=description),
            "type": {"type": "C_SchoolType", "code": school},
            "configuration": {"type": "C_Configuration", "code": "kurs" if i % 3 else "program"},
        }
        if system:
            content["credits"] = {"system": {"type": "C_Credits", "code": system}, "credits": credits}
        infos.append({"id": f"i.sv.bench.{i}", "status": "ACTIVE", "content": content})
    event_records = []
    for i in range(events):
        if i % 500 == 499:
            event_records.append({"id": f"e.sv.bench.{i}", "status": "DELETED", "content": None})
            continue
        info = infos[rng.randrange(len(infos))]
        title, description = _text(rng, SV_FORMS, SV_SENTENCES, subjects, 3)
        start = f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        content = {
            "identifier": f"e.sv.bench.{i}",
            "education": info["id"],
            "providers": [providers[i % len(providers)]["id"]],
            "lastEdited": "2026-10-01T08:00:00",
            "title": _ls(swe=title, **({"eng": f"Course {i}"} if i % 4 == 0 else {})),
            "description": _ls(swe=description),
            "url": {"urls": [{"lang": "swe", "value": f"www.anordnare.se/kurs/{i}"}]},
            "locations": [{"town": "Ort", "areaCode": rng.choice(SE_MUNICIPALITIES)}],
            "languageOfInstructions": ["swe"],
            "execution": {"condition": {"type": "C_ExecutionCondition", "code": "1"}, "start": start},
            "paceOfStudy": {"percentage": rng.choice([25, 50, 100])},
        }
        event_records.append({"id": f"e.sv.bench.{i}", "status": "ACTIVE", "content": content})
    # the change feed: every synthetic event was last edited on 2026-10-01, so asked for the
    # events updated since a later day (an incremental nightly run) the API has none to give
    (out / "recorded" / "educationEvents-unchanged.json").write_text(
        json.dumps(
            {
                "links": [],
                "educationEvents": [],
                "page": {"size": PAGE, "totalElements": 0, "totalPages": 0, "pageNumber": 0},
            }
        ),
        "utf-8",
    )
    manifest.append(
        {
            "path": "/susa-navet/emil3/educationEvents",
            "query": {"updatedSince": "*"},
            "body_file": "recorded/educationEvents-unchanged.json",
        }
    )
    pages("educationProviders", providers)
    pages("educationInfos", infos)
    pages("educationEvents", event_records)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=0), "utf-8")


def opintopolku(out: Path, implementations: int, rng: random.Random) -> None:
    subjects = Vocabulary(FI_SUBJECTS, FI_FIELDS, FI_HEADS, rng)
    base = out / "konfo-backend"
    (base / "external" / "toteutus").mkdir(parents=True, exist_ok=True)
    (base / "external" / "koulutus").mkdir(parents=True, exist_ok=True)
    (base / "sitemap").mkdir(parents=True, exist_ok=True)
    programmes = max(20, implementations // 5)
    for k in range(programmes):
        oid = f"1.2.246.562.13.{k:020d}"
        title, description = _text(rng, FI_FORMS, FI_SENTENCES, subjects, 4)
        doc = {
            "oid": oid,
            "koulutustyyppi": ["amm", "amk", "yo", "kk-opintojakso"][k % 4],
            "nimi": {"fi": title},
            "metadata": {
                "kuvaus": {"fi": f"<p>{description}</p>"},
                "opintojenLaajuusNumero": [180, 240, 300, 5][k % 4],
                "opintojenLaajuusyksikko": {
                    "koodiUri": "opintojenlaajuusyksikko_6" if k % 4 == 0 else "opintojenlaajuusyksikko_2#1"
                },
            },
            "organisaatio": {"oid": f"1.2.246.562.10.{k % 300:011d}", "nimi": {"fi": f"Oppilaitos {k % 300}"}},
        }
        (base / "external" / "koulutus" / oid).write_text(
            json.dumps(doc, ensure_ascii=False, separators=(",", ":")), "utf-8"
        )
    urls = []
    for t in range(implementations):
        oid = f"1.2.246.562.17.{t:020d}"
        code, name = rng.choice(FI_MUNICIPALITIES)
        title, description = _text(rng, FI_FORMS, FI_SENTENCES, subjects, 3)
        doc = {
            "oid": oid,
            "koulutusOid": f"1.2.246.562.13.{t % programmes:020d}",
            "tila": "julkaistu",
            "kielivalinta": ["fi"],
            "nimi": {"fi": title},
            "modified": "2026-10-01T08:00:00",
            "organisaatio": {
                "oid": f"1.2.246.562.10.{t % 300:011d}",
                "nimi": {"fi": f"Oppilaitos {t % 300}"},
                "paikkakunta": {"koodiUri": f"kunta_{code}#2", "nimi": {"fi": name}},
            },
            "tarjoajat": [
                {
                    "oid": f"1.2.246.562.10.9{t % 900:010d}",
                    "nimi": {"fi": f"Kampus {t % 900}"},
                    "paikkakunta": {"koodiUri": f"kunta_{code}", "nimi": {"fi": name}},
                }
            ],
            "metadata": {
                "tyyppi": "amm",
                "kuvaus": {"fi": f"<p>{description}</p>"},
                "opetus": {
                    "opetuskieli": [{"koodiUri": "oppilaitoksenopetuskieli_1#2"}],
                    "maksullisuustyyppi": "maksuton",
                    "koulutuksenAlkamiskausi": {
                        "alkamiskausityyppi": "alkamiskausi ja -vuosi",
                        "koulutuksenAlkamiskausi": {"koodiUri": "kausi_s#1"},
                        "koulutuksenAlkamisvuosi": "2027",
                    },
                },
            },
        }
        (base / "external" / "toteutus" / oid).write_text(
            json.dumps(doc, ensure_ascii=False, separators=(",", ":")), "utf-8"
        )
        urls.append(f"<url><loc>https://opintopolku.fi/konfo/fi/toteutus/{oid}</loc></url>")
    (base / "sitemap" / "toteutus-sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(urls)
        + "</urlset>",
        "utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--implementations", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(2026)
    susanavet(args.out_dir, args.events, rng)
    opintopolku(args.out_dir, args.implementations, rng)
    print(
        f"wrote {args.events} Susa-navet events and {args.implementations} Opintopolku implementations to "
        f"{args.out_dir}"
    )


if __name__ == "__main__":
    main()
