"""Opintopolku (konfo-backend) documents -> Course.

One Course per toteutus (implementation), carrying facts of its koulutus (programme). Field
names follow konfo-backend's documents; see the samples' SOURCE.md for what each one holds.
"""

from __future__ import annotations

import re
from typing import Any

from spiders.extract.classifications import opintopolku_fields
from spiders.extract.common import (
    LIVE,
    WITHDRAWN,
    first_present,
    iso_date,
    local_to_iso,
    record_state,
    term_of,
    text_fields,
)
from spiders.items import Course, Kept

# Kouta's publication states (toteutus.tila). The external API lists published documents; a
# document read again in another state has been archived, deleted or taken back to a draft.
LIVE_STATES = {"julkaistu"}
WITHDRAWN_STATES = {"arkistoitu", "poistettu", "tallennettu"}

PUBLIC_PAGE = "https://opintopolku.fi/konfo/fi/toteutus/{oid}"
ZONE = "Europe/Helsinki"
LANGS = ["fi", "sv", "en"]

# oppilaitoksenopetuskieli_N -> ISO 639-1 ("_3" is Finnish and Swedish, "_9" another language)
TEACHING_LANGUAGES = {"1": ["fi"], "2": ["sv"], "3": ["fi", "sv"], "4": ["en"], "5": ["se"], "9": []}
# opintojenlaajuusyksikko_N -> credit unit (singular, in the source's language)
CREDIT_UNITS = {"2": "opintopiste", "6": "osaamispiste", "8": "viikko"}
# opetuspaikkakk_N -> study mode
MODES = {"1": "campus", "2": "distance", "3": "online", "4": "blended"}
TERMS = {"kausi_s": "autumn", "kausi_k": "spring"}

_OID = re.compile(r"1\.2\.246\.562\.\d+\.\d+")


class ExtractionError(ValueError):
    """The document is not a usable toteutus (counted by the spider, never raised past it)."""

    def __init__(self, message: str, source_id: str | None = None) -> None:
        super().__init__(message)
        self.source_id = source_id


def strip_version(uri: str | None) -> str | None:
    """'kunta_186#2' -> 'kunta_186'."""
    if not uri or not isinstance(uri, str):
        return None
    return uri.split("#", 1)[0].strip() or None


def code_value(uri: str | None) -> str | None:
    """'kunta_186#2' -> '186'; 'oppilaitoksenopetuskieli_1#2' -> '1'."""
    bare = strip_version(uri)
    if not bare or "_" not in bare:
        return None
    return bare.rsplit("_", 1)[1] or None


def texts(value: Any) -> dict[str, str]:
    """A Kielistetty ({"fi": ..., "sv": ...}) with empty values dropped."""
    if not isinstance(value, dict):
        return {}
    return {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}


def pick(value: Any, order: list[str]) -> str | None:
    t = texts(value)
    lang = first_present(t, order)
    return t[lang] if lang else None


def split_credits(number: Any) -> tuple[float | None, list[int] | None]:
    """The credits value; Opintopolku writes "180+120" as the number 180120.

    Returns (total, parts): (240, None) for 240; (300, [180, 120]) for 180120; (None, None)
    when the number cannot be read as credits.
    """
    if number is None or isinstance(number, bool):
        return None, None
    try:
        value = float(number)
    except (TypeError, ValueError):
        return None, None
    if value < 0:
        return None, None
    if value < 1000:
        return value, None
    digits = str(int(value))
    candidates = []
    for cut in range(2, len(digits) - 1):
        left, right = digits[:cut], digits[cut:]
        if left[0] == "0" or right[0] == "0":
            continue
        a, b = int(left), int(right)
        if 10 <= a <= 400 and 10 <= b <= 400 and a % 5 == 0 and b % 5 == 0:
            candidates.append([a, b])
    if len(candidates) == 1:
        return float(sum(candidates[0])), candidates[0]
    return None, None


def first_flag(*values: Any) -> bool | None:
    """The first of the values that is a boolean (a flag the document states), or None."""
    return next((v for v in values if isinstance(v, bool)), None)


def _start(alkamiskausi: Any) -> dict[str, Any]:
    """Start term/dates from a koulutuksenAlkamiskausi object (old flat and new nested shapes)."""
    if not isinstance(alkamiskausi, dict):
        return {}
    out: dict[str, Any] = {}
    kind = alkamiskausi.get("alkamiskausityyppi")
    season = alkamiskausi.get("koulutuksenAlkamiskausi")
    if not isinstance(season, dict) and "koodiUri" in alkamiskausi:
        season = alkamiskausi  # older documents: the koodi itself
    term = TERMS.get(strip_version((season or {}).get("koodiUri")) or "")
    year = str(alkamiskausi.get("koulutuksenAlkamisvuosi") or "").strip()
    if term and re.fullmatch(r"\d{4}", year):
        out["start_term"] = f"{year}-{term}"
    elif term:
        out["start_term"] = term
    start = iso_date(alkamiskausi.get("koulutuksenAlkamispaivamaara"))
    end = iso_date(alkamiskausi.get("koulutuksenPaattymispaivamaara"))
    if start:
        out["start_date"] = start
        out.setdefault("start_term", term_of(start))
    if end:
        out["end_date"] = end
    if kind == "henkilokohtainen suunnitelma":
        out["individual_start"] = True
    return out


def _start_facts(toteutus: dict[str, Any]) -> dict[str, Any]:
    opetus = (toteutus.get("metadata") or {}).get("opetus") or {}
    found = _start(opetus.get("koulutuksenAlkamiskausi"))
    if found.get("start_term") or found.get("start_date"):
        return found
    for hakutieto in toteutus.get("hakutiedot") or []:
        for candidate in [hakutieto.get("koulutuksenAlkamiskausi")] + [
            h.get("koulutuksenAlkamiskausi") for h in hakutieto.get("hakukohteet") or []
        ]:
            got = _start(candidate)
            if got.get("start_term") or got.get("start_date"):
                return got
    return found


def _fee(opetus: dict[str, Any]) -> tuple[Any, Any]:
    """(fee type, amount) in both shapes: ``maksullisuustyyppi`` + ``maksunMaara`` on the
    opetus object (before 2026), or the 2026 list ``maksut`` of objects carrying them (a
    plain string in the list is a fee type). The first paid entry wins over free ones."""
    amount = opetus.get("maksunMaara")
    fee_type, amount = opetus.get("maksullisuustyyppi"), amount if isinstance(amount, (int, float)) else None
    entries = opetus.get("maksut") if isinstance(opetus.get("maksut"), list) else []
    found = []
    for entry in entries:
        kind = entry if isinstance(entry, str) else entry.get("maksullisuustyyppi") if isinstance(entry, dict) else None
        kind = strip_version((kind or {}).get("koodiUri")) if isinstance(kind, dict) else kind
        value = entry.get("maksunMaara") if isinstance(entry, dict) else None
        if isinstance(kind, str) and kind.strip():
            found.append((kind.strip(), value if isinstance(value, (int, float)) else None))
    if not fee_type and found:
        fee_type, entry_amount = next((f for f in found if f[0] != "maksuton"), found[0])
        amount = amount if amount is not None else entry_amount
    return fee_type, amount


def _application(toteutus: dict[str, Any]) -> dict[str, Any]:
    starts, ends, rolling = [], [], False
    for hakutieto in toteutus.get("hakutiedot") or []:
        if strip_version((hakutieto.get("hakutapa") or {}).get("koodiUri")) == "hakutapa_03":
            rolling = True  # "Jatkuva haku": rolling admission
        for hakukohde in hakutieto.get("hakukohteet") or []:
            for period in hakukohde.get("hakuajat") or []:
                if period.get("alkaa"):
                    starts.append(local_to_iso(period["alkaa"], ZONE))
                if period.get("paattyy"):
                    ends.append(local_to_iso(period["paattyy"], ZONE))
    own = (toteutus.get("metadata") or {}).get("hakuaika")
    if not starts and not ends and isinstance(own, dict):
        # the implementation's own application period (an implementation without hakukohteet)
        starts, ends = [local_to_iso(own.get("alkaa"), ZONE)], [local_to_iso(own.get("paattyy"), ZONE)]
    starts = sorted(s for s in starts if s)
    ends = sorted(e for e in ends if e)
    return {
        "application_start": starts[0] if starts else None,
        "application_end": ends[-1] if ends else None,
        "rolling_admission": rolling or None,
    }


def _credits(toteutus_md: dict[str, Any], koulutus_md: dict[str, Any]) -> dict[str, Any]:
    for md in (toteutus_md, koulutus_md):
        unit_code = code_value((md.get("opintojenLaajuusyksikko") or {}).get("koodiUri"))
        raw = md.get("opintojenLaajuusNumero")
        if raw is None and md.get("opintojenLaajuusNumeroMax") is not None:
            raw = md.get("opintojenLaajuusNumeroMax")
        if raw is None:
            raw = code_value((md.get("opintojenLaajuus") or {}).get("koodiUri"))
        if raw is None:
            continue
        total, parts = split_credits(raw)
        unit = CREDIT_UNITS.get(unit_code or "")
        if unit is None and unit_code:
            unit = pick((md.get("opintojenLaajuusyksikko") or {}).get("nimi"), ["fi"]) or (
                f"opintojenlaajuusyksikko_{unit_code}"
            )
        out: dict[str, Any] = {"credits": total, "credit_unit": unit, "credits_raw": raw}
        if parts:
            out["credits_parts"] = parts
        if md.get("opintojenLaajuusNumeroMin") is not None:
            out["credits_min"] = md.get("opintojenLaajuusNumeroMin")
        return out
    return {}


def _eqf(koulutus: dict[str, Any]) -> int | None:
    for code in koulutus.get("eqf") or []:
        value = code_value((code or {}).get("koodiUri"))
        if value and value.isdigit():
            return int(value)
    return None


def _place(toteutus: dict[str, Any]) -> dict[str, Any]:
    """Municipality of the first offering unit (tarjoaja) with one; all of them in extras."""
    places: list[tuple[str, str | None]] = []
    for unit in (toteutus.get("tarjoajat") or []) + [toteutus.get("organisaatio") or {}]:
        paikkakunta = (unit or {}).get("paikkakunta") or {}
        code = code_value(paikkakunta.get("koodiUri"))
        if code and code.isdigit():
            entry = (code.zfill(3), pick(paikkakunta.get("nimi"), ["fi", "sv", "en"]))
            if entry not in places:
                places.append(entry)
    if not places:
        return {}
    return {
        "municipality_code": places[0][0],
        "municipality": places[0][1],
        "all": [{"code": c, "name": n} for c, n in places],
    }


def toteutus_to_course(
    toteutus: dict[str, Any],
    koulutus: dict[str, Any] | None = None,
    source_url: str | None = None,
) -> Course | Kept:
    """Build the Course of one toteutus document (and its koulutus, when fetched): a removal
    record for a known withdrawn state, a ``Kept`` marker for a state outside the vocabulary."""
    if not isinstance(toteutus, dict):
        raise ExtractionError("the toteutus document is not a JSON object")
    oid = toteutus.get("oid")
    if not isinstance(oid, str) or not _OID.fullmatch(oid.strip()):
        raise ExtractionError(f"the toteutus has no valid oid: {oid!r}")
    oid = oid.strip()
    state = record_state(toteutus.get("tila", "julkaistu"), LIVE_STATES, WITHDRAWN_STATES)
    if state == WITHDRAWN:
        return Course(source_id=oid, source_url=source_url, removed=True)
    if state != LIVE:
        return Kept(source_id=oid, reason=f"unknown_status:{str(toteutus.get('tila'))[:40]}")
    koulutus = koulutus if isinstance(koulutus, dict) else {}
    md = toteutus.get("metadata") or {}
    koulutus_md = koulutus.get("metadata") or {}
    opetus = md.get("opetus") or {}

    title_texts = texts(toteutus.get("nimi")) or texts(koulutus.get("nimi"))
    description_texts = texts(md.get("kuvaus")) or texts(koulutus_md.get("kuvaus"))
    declared = [l for l in (toteutus.get("kielivalinta") or []) if isinstance(l, str)]
    text = text_fields(title_texts, description_texts, declared + [l for l in LANGS if l not in declared])
    primary = text["title_lang"]

    organisation = toteutus.get("organisaatio") or koulutus.get("organisaatio") or {}
    units = [u for u in toteutus.get("tarjoajat") or [] if isinstance(u, dict)]
    name_order = [primary] + LANGS if primary else LANGS
    place = _place(toteutus)

    instruction = []
    for code in opetus.get("opetuskieli") or []:
        for lang in TEACHING_LANGUAGES.get(code_value((code or {}).get("koodiUri")) or "", []):
            if lang not in instruction:
                instruction.append(lang)
    mode_codes = [code_value((c or {}).get("koodiUri")) for c in opetus.get("opetustapa") or []]
    modes = {MODES[c] for c in mode_codes if c in MODES}
    mode = None
    if len(modes) == 1:
        mode = modes.pop()
    elif modes:
        mode = "blended"

    start = _start_facts(toteutus)
    application = _application(toteutus)
    fee = _fee(opetus)
    credits = _credits(md, koulutus_md)
    eqf = _eqf(koulutus)
    education_type = md.get("tyyppi") or toteutus.get("koulutustyyppi") or koulutus.get("koulutustyyppi")

    extras: dict[str, Any] = {
        "koulutus_oid": toteutus.get("koulutusOid") or koulutus.get("oid"),
        "koulutustyyppi_path": toteutus.get("koulutustyyppiPath") or koulutus.get("koulutustyyppiPath"),
        "kielivalinta": declared,
        "koulutus_codes": sorted(
            {
                strip_version(k.get("koodiUri"))
                for k in koulutus.get("koulutukset") or toteutus.get("koulutukset") or []
                if isinstance(k, dict) and strip_version(k.get("koodiUri"))
            }
        ),
        # the programme's own name and its qualification titles: what its level is read from
        "koulutus_name": texts(koulutus.get("nimi")) or None,
        "qualification_titles": [
            texts(t.get("nimi"))
            for t in koulutus_md.get("tutkintonimike") or []
            if isinstance(t, dict) and texts(t.get("nimi"))
        ],
        "official_names": [
            texts(k.get("nimi"))
            for k in koulutus.get("koulutukset") or toteutus.get("koulutukset") or []
            if isinstance(k, dict) and texts(k.get("nimi"))
        ],
        "keywords": sorted({a.get("arvo") for a in md.get("asiasanat") or [] if isinstance(a, dict) and a.get("arvo")}),
        "occupations": sorted(
            {a.get("arvo") for a in md.get("ammattinimikkeet") or [] if isinstance(a, dict) and a.get("arvo")}
        ),
        # the implementation's own flag first: its programme document may be missing
        "is_open_university": first_flag(md.get("isAvoinKorkeakoulutus"), koulutus_md.get("isAvoinKorkeakoulutus")),
        "is_continuing_education": md.get("isTaydennyskoulutus"),
        "is_labour_market_training": md.get("isTyovoimakoulutus"),
        "duration_years": opetus.get("suunniteltuKestoVuodet"),
        "duration_months": opetus.get("suunniteltuKestoKuukaudet"),
        "individual_start": start.get("individual_start"),
        "municipalities": place.get("all"),
        "credits_raw": credits.get("credits_raw"),
        "credits_parts": credits.get("credits_parts"),
        "credits_min": credits.get("credits_min"),
        "application_open": toteutus.get("hakuAuki"),
        "tila": toteutus.get("tila"),
    }
    extras = {k: v for k, v in extras.items() if v not in (None, [], {}, "")}

    return Course(
        source_id=oid,
        source_url=source_url,
        url=PUBLIC_PAGE.format(oid=oid),
        source_modified_at=local_to_iso(toteutus.get("modified"), ZONE),
        **text,
        provider_name=pick(organisation.get("nimi"), name_order),
        provider_id=organisation.get("oid"),
        institution_name=pick(units[0].get("nimi"), name_order) if units else None,
        institution_id=units[0].get("oid") if units else None,
        municipality_code=place.get("municipality_code"),
        municipality=place.get("municipality"),
        mode=mode,
        education_type_source=education_type,
        eqf_level=eqf,
        level_source=f"eqf_{eqf}" if eqf else None,
        credits=credits.get("credits"),
        credit_unit=credits.get("credit_unit"),
        instruction_languages=instruction,
        study_forms=[
            pick(c.get("nimi"), ["en", "fi"]) or strip_version(c.get("koodiUri"))
            for c in opetus.get("opetustapa") or []
            if isinstance(c, dict)
        ],
        teaching_times=[
            pick(c.get("nimi"), ["en", "fi"]) or strip_version(c.get("koodiUri"))
            for c in opetus.get("opetusaika") or []
            if isinstance(c, dict)
        ],
        start_date=start.get("start_date"),
        end_date=start.get("end_date"),
        start_term=start.get("start_term") or ("individual" if start.get("individual_start") else None),
        rolling_admission=application["rolling_admission"],
        application_start=application["application_start"],
        application_end=application["application_end"],
        fee_type=fee[0],
        fee_amount=fee[1],
        **opintopolku_fields(toteutus, koulutus),
        extras=extras,
    )


def oids_from_sitemap(xml_text: str, kind: str = "toteutus") -> list[str]:
    """Distinct OIDs of ``/konfo/{lang}/{kind}/{oid}`` URLs in a sitemap urlset, in order."""
    pattern = re.compile(rf"/konfo/[a-z]{{2}}/{kind}/({_OID.pattern})")
    seen: dict[str, None] = {}
    for match in pattern.finditer(xml_text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def oids_from_search(payload: Any) -> list[tuple[str, str | None]]:
    """(toteutus OID, koulutus OID) pairs from an external toteutukset-koulutuksittain page."""
    out = []
    for hit in (payload or {}).get("hits") or [] if isinstance(payload, dict) else []:
        for toteutus in hit.get("toteutukset") or []:
            oid = (toteutus or {}).get("toteutusOid")
            if isinstance(oid, str) and _OID.fullmatch(oid):
                out.append((oid, hit.get("oid")))
    return out
