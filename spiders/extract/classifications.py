"""Seats, field of education and occupations, as the registers state them.

- ``seats``: how many can start (Susa-navet's event ``places``; Opintopolku's toteutus
  ``metadata.aloituspaikat``, else the sum of its application options' ``aloituspaikat.lukumaara``);
- ``isced_f``: the field of education as an ISCED-F 2013 code (2 digits broad field, 3 narrow,
  4 detailed), with the source's own code kept in ``isced_f_source``. Susa-navet's education
  infos give it as a ``C_Subject_ISCED2013`` subject; Finland's 2016 national field
  classification (``kansallinenkoulutusluokitus2016koulutusalataso1/2/3``) uses ISCED-F's codes
  as they are, so its most detailed level given is the ISCED-F code. A Swedish SUN code alone
  is kept as the source's code, not turned into ISCED-F (the two are not the same list);
- ``occupations``: SSYK 2012 codes of Swedish labour-market training (``AUB_Subject``) as
  ``SSYK <code>``, and the occupation titles Opintopolku lists (``ammattinimikkeet``), as given.

Nothing is guessed: a field the source does not state stays empty.
"""

from __future__ import annotations

import re
from typing import Any

ISCED_SUBJECT = "C_Subject_ISCED2013"
SUN_SUBJECT = "C_Subject_SUN"
SSYK_SUBJECT = "AUB_Subject"
_ISCED_CODE = re.compile(r"\d{2,4}")
_FI_FIELD = re.compile(r"kansallinenkoulutusluokitus2016koulutusalataso([123])_(\d{2,4})")


def _count(value: Any) -> int | None:
    """A non-negative whole number of seats; None for anything else (text, a flag, a negative)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value):
        return None
    return int(value)


def susanavet_fields(content: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """Seats of the event, field and occupations of its education info."""
    subjects = [s for s in info.get("subjects") or [] if isinstance(s, dict) and s.get("code") is not None]
    isced = [str(s["code"]).strip() for s in subjects if s.get("type") == ISCED_SUBJECT]
    isced = [code for code in isced if _ISCED_CODE.fullmatch(code)]
    sun = [str(s["code"]).strip() for s in subjects if s.get("type") == SUN_SUBJECT]
    occupations = []
    for s in subjects:
        if s.get("type") == SSYK_SUBJECT:
            code = str(s["code"]).strip()
            label = f"SSYK {code}" if code.isdigit() else code
            if code and label not in occupations:
                occupations.append(label)
    source = f"{ISCED_SUBJECT}:{isced[0]}" if isced else (f"{SUN_SUBJECT}:{sun[0]}" if sun else None)
    return {
        "seats": _count(content.get("places")),
        "isced_f": isced[0] if isced else None,
        "isced_f_source": source,
        "occupations": occupations,
    }


def _strip_version(uri: Any) -> str | None:
    return str(uri).split("#", 1)[0].strip() if uri else None


def _finnish_field(koulutus: dict[str, Any], toteutus_md: dict[str, Any]) -> tuple[str | None, str | None]:
    """The most detailed field code the programme states (its qualification codes' fields, else
    its ``koulutusala``, else the implementation's): (ISCED-F code, the source's code URI)."""
    candidates: list[str] = []
    for entry in koulutus.get("koulutuskoodienAlatJaAsteet") or []:
        if isinstance(entry, dict):
            candidates += [u for u in entry.get("koulutusalaKoodiUrit") or [] if isinstance(u, str)]
    for md in (koulutus.get("metadata") or {}, toteutus_md):
        if not candidates:
            candidates = [c.get("koodiUri") for c in md.get("koulutusala") or [] if isinstance(c, dict)]
    best: tuple[int, str, str] | None = None
    for uri in candidates:
        uri = _strip_version(uri)
        match = _FI_FIELD.fullmatch(uri or "")
        if match and (best is None or int(match.group(1)) > best[0]):
            best = (int(match.group(1)), match.group(2), uri)
    return (best[1], best[2]) if best else (None, None)


def opintopolku_fields(toteutus: dict[str, Any], koulutus: dict[str, Any]) -> dict[str, Any]:
    """Seats, field of education and occupation titles of one implementation and its programme."""
    md = toteutus.get("metadata") or {}
    seats = _count(md.get("aloituspaikat"))
    if seats is None:
        options = [
            _count((option.get("aloituspaikat") or {}).get("lukumaara"))
            for hakutieto in toteutus.get("hakutiedot") or []
            if isinstance(hakutieto, dict)
            for option in hakutieto.get("hakukohteet") or []
            if isinstance(option, dict) and isinstance(option.get("aloituspaikat"), dict)
        ]
        stated = [n for n in options if n is not None]
        seats = sum(stated) if stated else None
    isced, source = _finnish_field(koulutus, md)
    titles: list[str] = []
    for item in md.get("ammattinimikkeet") or []:
        title = str(item.get("arvo") or "").strip() if isinstance(item, dict) else ""
        if title and title not in titles:
            titles.append(title)
    return {"seats": seats, "isced_f": isced, "isced_f_source": source, "occupations": titles}
