"""Controlled vocabulary that machine translation gets wrong or should not touch.

Credit units, education types, study forms, school forms and level names have fixed English
equivalents. They are put in before machine translation (whole words, longest first, any case),
so the model passes them through instead of guessing; a text that is nothing but a glossary
term is not machine-translated at all.
"""

from __future__ import annotations

import hashlib
import re

GLOSSARY: dict[str, dict[str, str]] = {
    "sv": {
        "högskolepoäng": "higher education credits",
        "hp": "higher education credits",
        "yh-poäng": "higher vocational education credits",
        "yrkeshögskolepoäng": "higher vocational education credits",
        "gymnasiepoäng": "upper secondary credits",
        "yrkeshögskoleutbildning": "higher vocational education programme",
        "yrkeshögskola": "higher vocational education",
        "högskoleutbildning": "higher education",
        "gymnasial vuxenutbildning": "upper secondary adult education",
        "grundläggande vuxenutbildning": "basic adult education",
        "kommunal vuxenutbildning": "municipal adult education",
        "komvux": "municipal adult education",
        "svenska för invandrare": "Swedish for immigrants",
        "folkhögskola": "folk high school",
        "arbetsmarknadsutbildning": "labour market training",
        "lärlingsutbildning": "apprenticeship training",
        "distansutbildning": "distance education",
        "kandidatexamen": "Bachelor's degree",
        "masterexamen": "Master's degree",
        "magisterexamen": "Master's degree (one year)",
        "yrkeshögskoleexamen": "Higher Vocational Education Diploma",
        "kvalificerad yrkeshögskoleexamen": "Advanced Higher Vocational Education Diploma",
        "lia": "workplace-based learning (LIA)",
        "studiepoäng": "ECTS credits",
    },
    "fi": {
        "opintopistettä": "ECTS credits",
        "opintopiste": "ECTS credits",
        "opintopisteen": "ECTS credits",
        "op": "ECTS credits",
        "osaamispistettä": "competence points",
        "osaamispiste": "competence points",
        "osp": "competence points",
        "ammatillinen perustutkinto": "vocational qualification",
        "perustutkinto": "vocational qualification",
        "ammattitutkinto": "further vocational qualification",
        "erikoisammattitutkinto": "specialist vocational qualification",
        "ammattikorkeakoulututkinto": "Bachelor's degree (UAS)",
        "ylempi ammattikorkeakoulututkinto": "Master's degree (UAS)",
        "ammattikorkeakoulu": "university of applied sciences",
        "avoin ammattikorkeakoulu": "open university of applied sciences",
        "avoin yliopisto": "open university",
        "yliopisto": "university",
        "täydennyskoulutus": "continuing education",
        "työvoimakoulutus": "labour market training",
        "oppisopimuskoulutus": "apprenticeship training",
        "oppisopimus": "apprenticeship",
        "lähiopetus": "contact teaching",
        "etäopetus": "distance learning",
        "verkko-opetus": "online learning",
        "monimuoto-opetus": "blended learning",
        "monimuotototeutus": "blended learning",
        "verkkototeutus": "online implementation",
        "tutkinnon osa": "vocational qualification unit",
        "kandidaatti": "Bachelor",
        "maisteri": "Master",
        "diplomi-insinööri": "Master of Science (Technology)",
        "insinööri (amk)": "Bachelor of Engineering",
        "insinööri (ylempi amk)": "Master of Engineering",
        "tradenomi (amk)": "Bachelor of Business Administration",
        "sairaanhoitaja (amk)": "Bachelor of Health Care (Registered Nurse)",
    },
}
GLOSSARY_VERSION = hashlib.sha1(repr(sorted((l, sorted(t.items())) for l, t in GLOSSARY.items())).encode()).hexdigest()[
    :8
]

_PATTERNS = {
    lang: re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)) + r")(?![\w-])",
        re.IGNORECASE,
    )
    for lang, terms in GLOSSARY.items()
}


def whole_term(text: str, lang: str) -> str | None:
    """The English of a text that is exactly one glossary term, else None."""
    return GLOSSARY.get(lang, {}).get(text.strip().casefold())


def apply(text: str, lang: str) -> str:
    """The text with every glossary term replaced by its English equivalent."""
    pattern = _PATTERNS.get(lang)
    if pattern is None:
        return text
    terms = GLOSSARY[lang]
    return pattern.sub(lambda m: terms[m.group(1).casefold()], text)
