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
# Opintopolku koulutustyyppi whose level follows from the type alone, or which has none: (level,
# rule) where FiNQF places the type, (None, reason) where it does not.
FI_TYPE_LEVELS = {
    "lk": (4, "general upper secondary syllabus (lukion oppimäärä): FiNQF 4"),
    "aikuisten-perusopetus": (2, "basic education syllabus for adults (perusopetuksen oppimäärä): FiNQF 2"),
    "amm-tutkinnon-osa": (
        None,
        "no level: a part of a vocational qualification (tutkinnon osa) has no FiNQF level of its own",
    ),
    "amm-osaamisala": (
        None,
        "no level: a competence area (osaamisala) of a vocational qualification has no FiNQF level of its own",
    ),
    "amm-muu": (None, "no level: vocational training that is not a qualification is not placed in the FiNQF"),
    "tuva": (None, "no level: preparatory education (TUVA) is not placed in the FiNQF"),
    "telma": (None, "no level: preparatory education (TELMA) is not placed in the FiNQF"),
    "vapaa-sivistystyo-opistovuosi": (None, "no level: liberal adult education is not placed in the FiNQF"),
    "vapaa-sivistystyo-muu": (None, "no level: liberal adult education is not placed in the FiNQF"),
    "vapaa-sivistystyo-osaamismerkki": (None, "no level: liberal adult education is not placed in the FiNQF"),
    "taiteen-perusopetus": (None, "no level: basic education in the arts is not placed in the FiNQF"),
    "kk-opintojakso": (None, "no level: a single higher-education course; the register gives no cycle"),
    "kk-opintokokonaisuus": (None, "no level: a study module of higher education; the register gives no cycle"),
    "erikoistumiskoulutus": (None, "no level: specialisation education after a degree is not placed in the FiNQF"),
    "ope-pedag-opinnot": (None, "no level: teacher's pedagogical studies are not placed in the FiNQF on their own"),
    "muu": (None, "no level: other education, not a qualification"),
}
# Finnish qualification names end in their kind (Finnish, Swedish), most specific first
FI_QUALIFICATION_NAMES = (
    ("erikoisammattitutkinto", "amm/erikoisammattitutkinto"),
    ("specialyrkesexamen", "amm/erikoisammattitutkinto"),
    ("ammattitutkinto", "amm/ammattitutkinto"),
    ("yrkesexamen", "amm/ammattitutkinto"),
    ("perustutkinto", "amm/ammatillinen-perustutkinto"),
    ("grundexamen", "amm/ammatillinen-perustutkinto"),
)
# UAS degree titles: "(ylempi AMK)" / "(högre YH)" are masters, "(AMK)" / "(YH)" bachelors
FI_UAS_TITLES = (
    (("(ylempi amk)", "(högre yh)", "master of"), "kk/amk/amk-ylempi"),
    (("(amk)", "(yh)", "bachelor of"), "kk/amk/amk-alempi"),
)
# The first digit of a Finnish education classification code (koulutus_NNNNNN) is its level
# (koulutusaste): 3 upper secondary, 6 bachelor's, 7 master's, 8 doctoral
FI_CODE_LEVELS = {
    "3": (4, "upper secondary education (koulutusaste 3): FiNQF 4"),
    "6": (6, "bachelor's level (koulutusaste 6): FiNQF 6"),
    "7": (7, "master's level (koulutusaste 7): FiNQF 7"),
    "8": (8, "doctoral level (koulutusaste 8): FiNQF 8"),
}
# Swedish school forms with no SeQF level, and the reason
SE_NO_LEVEL = {
    "FHS": "no level: folk high school courses are not placed in the SeQF",
    "VUXSFI": "no level: Swedish for immigrants (SFI) is a language course, not placed in the SeQF",
    "SFI": "no level: Swedish for immigrants (SFI) is a language course, not placed in the SeQF",
    "Svenska för invandrare": "no level: Swedish for immigrants (SFI) is a language course, not placed in the SeQF",
    "KKU": "no level: arts and culture education is not placed in the SeQF",
    "Konst- och kulturutbildning": "no level: arts and culture education is not placed in the SeQF",
    "AUB": "no level: labour market training is not placed in the SeQF",
}
# Swedish degrees and their SeQF levels; UH education levels (cycles) and ISCED as fall-backs
SE_LEVELS = {
    "YH": (5, "higher vocational diploma (yrkeshögskoleexamen): SeQF 5"),
    "YH:kvalificerad": (
        6,
        "advanced higher vocational diploma (kvalificerad yrkeshögskoleexamen, 400+ YH points): SeQF 6",
    ),
    "VUXGY": (4, "upper secondary level (gymnasial nivå): SeQF 4"),
    "VUXGR": (2, "compulsory school level (grundläggande nivå): SeQF 2"),
    "HS:grundlaggande": (6, "first-cycle course (general entry requirements only, grundläggande behörighet): SeQF 6"),
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
    "ects": (1.0, False, "given in ECTS credits"),
    "yh-poäng": (0.3, True, "estimate: 200 YH points per year of full-time study = 60 ECTS"),
    "viikko": (1.5, True, "estimate: 40 weeks of full-time study = 60 ECTS"),
    "osaamispiste": (
        None,
        False,
        "no ECTS equivalent: competence points (osaamispiste) measure vocational competence, not workload",
    ),
    "gymnasiepoäng": (None, False, "no ECTS equivalent: upper secondary credits"),
    "folkhögskolepoäng": (None, False, "no ECTS equivalent"),
    "verksamhetspoäng": (None, False, "no ECTS equivalent"),
}

# --- regions --------------------------------------------------------------------------------
# Swedish municipality codes begin with their county (län) code.
SE_COUNTIES = {
    "01": ("Stockholms län", "SE110"),
    "03": ("Uppsala län", "SE121"),
    "04": ("Södermanlands län", "SE122"),
    "05": ("Östergötlands län", "SE123"),
    "06": ("Jönköpings län", "SE211"),
    "07": ("Kronobergs län", "SE212"),
    "08": ("Kalmar län", "SE213"),
    "09": ("Gotlands län", "SE214"),
    "10": ("Blekinge län", "SE221"),
    "12": ("Skåne län", "SE224"),
    "13": ("Hallands län", "SE231"),
    "14": ("Västra Götalands län", "SE232"),
    "17": ("Värmlands län", "SE311"),
    "18": ("Örebro län", "SE124"),
    "19": ("Västmanlands län", "SE125"),
    "20": ("Dalarnas län", "SE312"),
    "21": ("Gävleborgs län", "SE313"),
    "22": ("Västernorrlands län", "SE321"),
    "23": ("Jämtlands län", "SE322"),
    "24": ("Västerbottens län", "SE331"),
    "25": ("Norrbottens län", "SE332"),
}
