"""Every rate the synthetic population is drawn with, in one place.

The figures are plausible national orders of magnitude for Latvia in the mid-2020s, rounded, not
official statistics: enough for the open-data sets to look like the real ones (shares, trends,
small cells in small municipalities) without pretending to be them. "Per person" rates are per
person of the synthetic population, so a population of 1.9 million (the whole country) gets the
national counts and a smaller one gets the same proportions.
"""
from __future__ import annotations

# The whole country, for the rates given as national counts below.
NATIONAL_POPULATION = 1_900_000

# Age structure at the start of the year: (first age, last age, thousands of persons, share of
# men). Shaped on the Central Statistical Bureau's pyramid: the small cohorts born in the 1990s
# and after 2020, and far more women than men from sixty on.
AGE_GROUPS: tuple[tuple[int, int, int, float], ...] = (
    (0, 4, 80, 0.513), (5, 9, 100, 0.513), (10, 14, 103, 0.513), (15, 19, 92, 0.513),
    (20, 24, 80, 0.512), (25, 29, 88, 0.510), (30, 34, 125, 0.505), (35, 39, 134, 0.500),
    (40, 44, 126, 0.495), (45, 49, 122, 0.490), (50, 54, 125, 0.475), (55, 59, 127, 0.460),
    (60, 64, 128, 0.440), (65, 69, 113, 0.410), (70, 74, 95, 0.380), (75, 79, 70, 0.330),
    (80, 84, 57, 0.290), (85, 100, 48, 0.240),
)
# Within the open top group each further year of age holds this share of the one before.
TOP_GROUP_DECAY = 0.82

# Dated personal codes were issued for births before this day; later births get a "32…" code.
NEW_CODE_FORMAT_FROM = (2017, 7, 1)

# Years over which the event registers (disability decisions, aids, requests ...) are spread
# before the extract date, so months, quarters and years can be compared.
HISTORY_YEARS = 3

# Declared address: years since the declaration, exponential with this mean (capped at birth).
DECLARATION_MEAN_YEARS = 9.0
# Share of addresses in a state city that are a flat in an apartment house ("iela 12-5").
CITY_FLAT_SHARE = 0.7

# --- Disability (VDEĀVK) --------------------------------------------------------------------
ADULT_DISABILITY_SHARE = 0.11
CHILD_DISABILITY_SHARE = 0.025
# Relative prevalence of disability among adults by age band (first age, weight): rising with age.
ADULT_DISABILITY_AGE_WEIGHT: tuple[tuple[int, float], ...] = (
    (18, 0.35), (30, 0.5), (45, 0.9), (55, 1.4), (65, 1.6), (75, 1.9),
)
# Shares of the groups I, II and III by age band (first age, (I, II, III)); about 12/50/38 overall.
DISABILITY_GROUP_SHARES: tuple[tuple[int, tuple[float, float, float]], ...] = (
    (18, (0.08, 0.44, 0.48)), (45, (0.10, 0.50, 0.40)), (65, (0.13, 0.52, 0.35)),
    (80, (0.20, 0.55, 0.25)),
)
# A current decision was taken within this many years before the extract.
DISABILITY_DECISION_MAX_AGE_YEARS = 5
# Share of the currently disabled whose current decision renewed an earlier one: the earlier
# decision appears too, ending the day before.
DISABILITY_RENEWED_SHARE = 0.5
# Persons whose disability ended during the history (recovered, not renewed), per current case.
DISABILITY_ENDED_PER_CURRENT = 0.08

# --- Technical aids (TPL) -------------------------------------------------------------------
TECHNICAL_AIDS_PER_YEAR = 25_000
# Weight of a person in the draw: 1, plus these for the disabled and the old.
TECHNICAL_AID_WEIGHT_DISABLED = 6.0
TECHNICAL_AID_WEIGHT_65_PLUS = 3.0
TECHNICAL_AID_WEIGHT_80_PLUS = 3.0
AID_TYPES_UNDER_65: tuple[tuple[str, float], ...] = (
    ("wheelchair", 0.14), ("walking_aid", 0.18), ("hearing_aid", 0.12), ("visual_aid", 0.10),
    ("prosthesis", 0.10), ("orthosis", 0.18), ("hygiene_aid", 0.10), ("communication_aid", 0.08),
)
AID_TYPES_65_PLUS: tuple[tuple[str, float], ...] = (
    ("wheelchair", 0.10), ("walking_aid", 0.32), ("hearing_aid", 0.26), ("visual_aid", 0.07),
    ("prosthesis", 0.05), ("orthosis", 0.08), ("hygiene_aid", 0.10), ("communication_aid", 0.02),
)

# --- Service providers (SPRR) ---------------------------------------------------------------
PROVIDER_SERVICE_ROWS = 1_300
PROVIDER_MIN_ROWS_PER_MUNICIPALITY = 3
PROVIDER_SERVICE_TYPES: tuple[tuple[str, float], ...] = (
    ("home_care", 0.24), ("day_centre", 0.18), ("long_term_care", 0.15), ("group_home", 0.10),
    ("social_rehabilitation", 0.15), ("respite_care", 0.08), ("supported_employment", 0.05),
    ("crisis_centre", 0.05),
)
# Services per provider: 1, 2 or 3 with these shares.
PROVIDER_SERVICES_PER_PROVIDER = (0.6, 0.3, 0.1)
PROVIDER_REMOVED_SHARE = 0.1
# Share of provider services registered within the history; the rest are older.
PROVIDER_REGISTERED_IN_HISTORY_SHARE = 0.25
PROVIDER_OLDEST_YEAR = 2005

# --- Unemployed (NVA) -----------------------------------------------------------------------
UNEMPLOYED_SHARE_15_64 = 0.05  # registered at any one time
UNEMPLOYMENT_MEDIAN_DAYS = 130  # spells of weeks to years (lognormal)
UNEMPLOYMENT_SIGMA = 0.9
UNEMPLOYMENT_WEIGHT_LATGALE = 1.8
UNEMPLOYMENT_WEIGHT_DISABLED = 1.5
UNEMPLOYMENT_WEIGHT_55_PLUS = 1.3

# --- Socially insured (VSAA) ----------------------------------------------------------------
INSURED_PER_YEAR = 900_000
# Relative chance of being insured in a year by age band (first age, weight).
INSURED_AGE_WEIGHT: tuple[tuple[int, float], ...] = (
    (0, 0.0), (15, 0.12), (20, 0.70), (25, 0.85), (55, 0.72), (63, 0.45), (65, 0.15),
    (75, 0.0),
)
INSURED_FULL_YEAR_SHARE = 0.75  # the rest are insured 1..11 months
# Mean monthly contribution wage of the year before the extract, in euros; earlier years are
# lower by the yearly growth.
MEAN_MONTHLY_WAGE_EUR = 1_600
WAGE_YEARLY_GROWTH = 0.09
WAGE_SIGMA = 0.55  # spread between persons (lognormal)
WAGE_PERSON_YEAR_SIGMA = 0.08  # a person's wage from one year to the next
WAGE_FACTOR_WOMEN = 0.86
# Wage level by planning region: highest around Riga, lowest in the east (Latgale).
WAGE_FACTOR_REGION = {
    "PR-RIGA": 1.10, "PR-KURZEME": 0.88, "PR-ZEMGALE": 0.90, "PR-VIDZEME": 0.86,
    "PR-LATGALE": 0.72,
}
WAGE_AGE_FACTOR: tuple[tuple[int, float], ...] = (
    (0, 0.55), (20, 0.75), (25, 0.95), (35, 1.08), (55, 0.98), (63, 0.80),
)

# --- State social services (SPOLIS) ---------------------------------------------------------
STATE_SERVICE_ROWS = 14_500  # drawn; about 12,000 of them reach into the history
STATE_SERVICE_TYPES: tuple[tuple[str, float], ...] = (
    ("long_term_care", 0.55), ("social_rehabilitation", 0.18),
    ("vocational_rehabilitation", 0.07), ("technical_aids_service", 0.12),
    ("sign_language_interpreter", 0.08),
)

# --- VSAA benefits --------------------------------------------------------------------------
PENSION_AGE = 65
OLD_AGE_PENSION_SHARE = 0.97  # of those past pension age
EARLY_PENSION_SHARE = 0.05  # of those aged 63-64, up to two years early
DISABILITY_PENSION_SHARE_I_II = 0.85  # of adults under pension age with group I or II
DISABILITY_PENSION_SHARE_III = 0.5
SURVIVOR_PENSION_SHARE_MINORS = 0.012
DISABILITY_BENEFIT_SHARE_CHILDREN = 0.8  # of disabled children
DISABILITY_BENEFIT_SHARE_ADULTS_NO_PENSION = 0.3
CARE_BENEFIT_SHARE_GROUP_I = 0.6
CARE_BENEFIT_SHARE_CHILDREN = 0.4
CHILDCARE_BENEFIT_PER_INFANT = 0.95  # one claim per child under 1.5, paid to a parent
PARENTAL_BENEFIT_PER_INFANT = 0.85
PARENT_MEN_SHARE = 0.08
UNEMPLOYMENT_BENEFIT_SHARE = 0.55  # of unemployment spells
UNEMPLOYMENT_BENEFIT_MAX_DAYS = 240  # eight months
SICKNESS_BENEFIT_PER_INSURED_YEAR = 0.06

# --- Community-service requests (SPOLIS) ----------------------------------------------------
COMMUNITY_REQUESTS_PER_YEAR = 30_000
COMMUNITY_REQUEST_WEIGHT_DISABLED = 8.0
COMMUNITY_REQUEST_WEIGHT_75_PLUS = 2.0
COMMUNITY_REQUEST_ELSEWHERE_SHARE = 0.05  # asked of another municipality of the same region
COMMUNITY_SERVICE_TYPES: tuple[tuple[str, float], ...] = (
    ("home_care", 0.35), ("day_centre", 0.17), ("group_home", 0.08),
    ("supported_employment", 0.07), ("respite_care", 0.08), ("social_rehabilitation", 0.17),
    ("specialised_workshop", 0.08),
)

# --- Out-of-family care (NPAIS) -------------------------------------------------------------
OUT_OF_FAMILY_CARE_SHARE_MINORS = 0.008  # in care at any one time
OUT_OF_FAMILY_CARE_MEDIAN_DAYS = 900
OUT_OF_FAMILY_CARE_SIGMA = 0.8
# Care ends at 18, so spells are shorter than drawn: this many more begin to keep the share.
OUT_OF_FAMILY_CARE_CUT_AT_18 = 1.2
OUT_OF_FAMILY_CARE_WEIGHT_LATGALE = 1.5
OUT_OF_FAMILY_CARE_WEIGHT_DISABLED = 3.0
CARE_FORMS: tuple[tuple[str, float], ...] = (
    ("guardianship", 0.50), ("foster_family", 0.30), ("institution", 0.12),
    ("family_type_home", 0.08),
)
