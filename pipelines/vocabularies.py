"""The shared vocabularies that make Swedish and Finnish listings comparable: education types,
qualification levels (EQF through the national referencings), credit units, regions."""

from __future__ import annotations

# --- education type: one vocabulary over both countries ------------------------------------
EDUCATION_TYPES = {
    "university_course": "University course",
    "university_programme": "University degree programme",
    "uas_programme": "University of applied sciences degree programme",
    "open_university": "Open university / open UAS studies",
    "continuing_education": "Continuing education (specialisation, professional development)",
    "higher_vocational": "Higher vocational education (YH)",
    "vocational_qualification": "Vocational qualification (upper secondary level)",
    "vocational_module": "Part of a vocational qualification",
    "upper_secondary_adult": "Upper secondary adult education (komvux, lukio for adults)",
    "basic_adult_education": "Basic education for adults",
    "language_for_immigrants": "Language for immigrants (SFI)",
    "folk_high_school": "Folk high school / liberal adult education",
    "labour_market_training": "Labour market training",
    "preparatory": "Preparatory education (TUVA, TELMA)",
    "arts_education": "Arts and culture education",
}

# Opintopolku koulutustyyppi -> shared type (open university and continuing education flags
# override, see normalise.py)
FI_TYPES = {
    "amm": "vocational_qualification",
    "amm-tutkinnon-osa": "vocational_module",
    "amm-osaamisala": "vocational_module",
    "amm-muu": "continuing_education",
    "amk": "uas_programme",
    "yo": "university_programme",
    "kk-opintojakso": "university_course",
    "kk-opintokokonaisuus": "university_course",
    "erikoistumiskoulutus": "continuing_education",
    "ope-pedag-opinnot": "continuing_education",
    "lk": "upper_secondary_adult",
    "aikuisten-perusopetus": "basic_adult_education",
    "tuva": "preparatory",
    "telma": "preparatory",
    "vapaa-sivistystyo-opistovuosi": "folk_high_school",
    "vapaa-sivistystyo-muu": "folk_high_school",
    "vapaa-sivistystyo-osaamismerkki": "folk_high_school",
    "taiteen-perusopetus": "arts_education",
    "muu": "continuing_education",
}
# Susa-navet C_SchoolType (with configuration for HS) and Planned Educations' labels
SE_TYPES = {
    "HS": "university_course",
    "HS:program": "university_programme",
    "HS:kurspaket": "university_course",
    "YH": "higher_vocational",
    "VUXGY": "upper_secondary_adult",
    "VUXGYAN": "upper_secondary_adult",
    "VUXGR": "basic_adult_education",
    "VUXGRAN": "basic_adult_education",
    "VUXSFI": "language_for_immigrants",
    "SFI": "language_for_immigrants",
    "FHS": "folk_high_school",
    "AUB": "labour_market_training",
    "KKU": "arts_education",
    "Högskoleutbildning": "university_course",
    "Yrkeshögskoleutbildning": "higher_vocational",
    "Gymnasial vuxenutbildning": "upper_secondary_adult",
    "Grundläggande vuxenutbildning": "basic_adult_education",
    "Svenska för invandrare": "language_for_immigrants",
    "Konst- och kulturutbildning": "arts_education",
}

# --- levels: national qualification frameworks referenced to the EQF ----------------------
# Finland (FiNQF, referenced to the EQF in 2017) and Sweden (SeQF, referenced in 2016) use the
# same level numbers as the EQF for the qualifications listed here.
FI_QUALIFICATION_LEVELS = {
    "amm/ammatillinen-perustutkinto": (4, "vocational qualification (ammatillinen perustutkinto): FiNQF 4"),
    "amm/ammattitutkinto": (4, "further vocational qualification (ammattitutkinto): FiNQF 4"),
    "amm/erikoisammattitutkinto": (5, "specialist vocational qualification (erikoisammattitutkinto): FiNQF 5"),
    "kk/amk/amk-alempi": (6, "UAS bachelor's degree: FiNQF 6"),
    "kk/amk/amk-ylempi": (7, "UAS master's degree: FiNQF 7"),
    "kk/yo/kandi": (6, "university bachelor's degree: FiNQF 6"),
    "kk/yo/kandi-ja-maisteri": (7, "university bachelor's and master's degree: FiNQF 7"),
    "kk/yo/maisteri": (7, "university master's degree: FiNQF 7"),
    "kk/yo/tohtori": (8, "doctoral degree: FiNQF 8"),
}
# Swedish degrees and their SeQF levels; UH education levels (cycles) and ISCED as fall-backs
SE_LEVELS = {
    "YH": (5, "higher vocational diploma (yrkeshögskoleexamen): SeQF 5"),
    "YH:kvalificerad": (6, "advanced higher vocational diploma (kvalificerad yrkeshögskoleexamen, 400+ YH points): SeQF 6"),
    "VUXGY": (4, "upper secondary level (gymnasial nivå): SeQF 4"),
    "G": (6, "first-cycle (grundnivå) university course: SeQF 6"),
    "A": (7, "second-cycle (avancerad nivå) university course: SeQF 7"),
    "ISCED_6": (6, "ISCED 6 (bachelor's or equivalent): SeQF 6"),
    "ISCED_7": (7, "ISCED 7 (master's or equivalent): SeQF 7"),
    "ISCED_8": (8, "ISCED 8 (doctoral): SeQF 8"),
}

# --- credits: ECTS equivalents --------------------------------------------------------------
# unit -> (factor, estimated?, method); None factor: no ECTS equivalent is given.
ECTS = {
    "opintopiste": (1.0, False, "1 opintopiste = 1 ECTS credit"),
    "högskolepoäng": (1.0, False, "1 högskolepoäng = 1 ECTS credit (60 per academic year)"),
    "yh-poäng": (0.3, True, "estimate: 200 YH points per year of full-time study = 60 ECTS"),
    "viikko": (1.5, True, "estimate: 40 weeks of full-time study = 60 ECTS"),
    "osaamispiste": (None, False, "no ECTS equivalent: competence points (osaamispiste) measure vocational competence, not workload"),
    "gymnasiepoäng": (None, False, "no ECTS equivalent: upper secondary credits"),
    "folkhögskolepoäng": (None, False, "no ECTS equivalent"),
    "verksamhetspoäng": (None, False, "no ECTS equivalent"),
}

# --- regions --------------------------------------------------------------------------------
# Swedish municipality codes begin with their county (län) code.
SE_COUNTIES = {
    "01": ("Stockholms län", "SE110"), "03": ("Uppsala län", "SE121"), "04": ("Södermanlands län", "SE122"),
    "05": ("Östergötlands län", "SE123"), "06": ("Jönköpings län", "SE211"), "07": ("Kronobergs län", "SE212"),
    "08": ("Kalmar län", "SE213"), "09": ("Gotlands län", "SE214"), "10": ("Blekinge län", "SE221"),
    "12": ("Skåne län", "SE224"), "13": ("Hallands län", "SE231"), "14": ("Västra Götalands län", "SE232"),
    "17": ("Värmlands län", "SE311"), "18": ("Örebro län", "SE124"), "19": ("Västmanlands län", "SE125"),
    "20": ("Dalarnas län", "SE312"), "21": ("Gävleborgs län", "SE313"), "22": ("Västernorrlands län", "SE321"),
    "23": ("Jämtlands län", "SE322"), "24": ("Västerbottens län", "SE331"), "25": ("Norrbottens län", "SE332"),
}
