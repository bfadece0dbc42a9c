"""The register extracts about the synthetic persons: disability, technical aids, service
providers, unemployment, social insurance, state social services, VSAA benefits, community
service requests and out-of-family care.

Events are spread over the history years before the extract date (rates.HISTORY_YEARS), plus
spells that began earlier and were still open then. Nothing is dated after the extract date:
an end that lies later is not known yet and is written empty (the spell is open). A person
outside a register simply has no row in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.special import ndtr

from . import rates
from .municipalities import Municipalities
from .persons import Persons
from .sampling import (
    DAYS_PER_YEAR,
    NAT,
    between,
    birthday,
    categorical,
    chosen,
    day,
    lognormal_days,
    open_if_after,
    probabilities,
    step_lookup,
    years_before,
)
from .writer import Table

ONE_DAY = np.timedelta64(1, "D")
CHILD = 4  # disability "group" code of a disabled child (no group)


@dataclass
class Context:
    rng: np.random.Generator
    persons: Persons
    municipalities: Municipalities
    as_of: np.datetime64
    as_of_date: date
    history_start: np.datetime64
    # Per person, filled by the disability register and read by the others: 0 none, 1-3 the
    # adult group, CHILD for a disabled child; and the day of the current decision.
    disability: np.ndarray
    decided: np.ndarray
    # Unemployment spells, read by the unemployment benefit.
    unemployed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    # (person, year) of every insured year, read by the sickness benefit.
    insured: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def national_share(self) -> float:
        return len(self.persons) / rates.NATIONAL_POPULATION

    def years(self, count: float) -> np.timedelta64:
        return np.timedelta64(round(count * DAYS_PER_YEAR), "D")


def new_context(rng: np.random.Generator, persons: Persons, municipalities: Municipalities,
                as_of: date) -> Context:
    return Context(rng=rng, persons=persons, municipalities=municipalities, as_of=day(as_of),
                   as_of_date=as_of,
                   history_start=day(years_before(as_of, rates.HISTORY_YEARS)),
                   disability=np.zeros(len(persons), dtype=np.int8),
                   decided=np.full(len(persons), NAT))


def _first_of_run(first: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each element's value at the first element of its run (runs begin where ``first``)."""
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0))
    return values[run_start]  # type: ignore[no-any-return]


def _codes(ctx: Context, who: np.ndarray) -> np.ndarray:
    return ctx.persons.codes[who]  # type: ignore[no-any-return]


def _table(file_name: str, source: str, header: tuple[str, ...], *columns: np.ndarray
           ) -> Table:
    return Table(file_name=file_name, source=source, header=header, columns=columns,
                 rows=len(columns[0]))


# Rows of a register as parallel columns, in parts to be joined.
Parts = list[tuple[np.ndarray, ...]]


def _concat(parts: Parts) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate(column) for column in zip(*parts))


# --- VDEĀVK disability ------------------------------------------------------------------------

def disability(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    adult_from = birthday(p.birth, 18)
    adult = p.age >= 18

    adult_weight = np.where(adult, step_lookup(p.age, rates.ADULT_DISABILITY_AGE_WEIGHT), 0.0)
    adults = chosen(rng, adult_weight, rates.ADULT_DISABILITY_SHARE * adult.sum())
    child_weight = np.where(adult, 0.0, np.where(p.age < 3, 0.4, 1.0))
    children = chosen(rng, child_weight, rates.CHILD_DISABILITY_SHARE * (~adult).sum())

    groups = _groups(rng, p.age[adults])
    ctx.disability[adults] = groups
    ctx.disability[children] = CHILD

    # The current decision: taken within the last years, an adult's not before 18.
    current = np.concatenate([adults, children])
    oldest = ctx.as_of - ctx.years(rates.DISABILITY_DECISION_MAX_AGE_YEARS)
    floor = np.where(ctx.disability[current] == CHILD, p.birth[current], adult_from[current])
    decided = between(rng, np.maximum(oldest, floor), ctx.as_of, len(current))
    ctx.decided[current] = decided
    rows: Parts = [(current, decided, np.full(len(current), NAT), ctx.disability[current])]

    # Renewals: the decision before the current one, ending the day before it. One begun
    # before 18 was a child's and ended on the eve of the 18th birthday.
    renewed = rng.random(len(current)) < rates.DISABILITY_RENEWED_SHARE
    who, until = current[renewed], decided[renewed] - ONE_DAY
    started = until - (rng.integers(1, 4, len(who)) * 365).astype("timedelta64[D]")
    rows.append(_earlier_decisions(ctx, who, started, until, adult_from))

    # Disability that ended without renewal during the history.
    ended_count = rates.DISABILITY_ENDED_PER_CURRENT * len(current)
    weight = np.where(ctx.disability == 0, 1.0 + p.age / 40.0, 0.0)
    who = chosen(rng, weight, ended_count)
    until = between(rng, ctx.history_start, ctx.as_of - ONE_DAY, len(who))
    started = until - (rng.integers(1, 3, len(who)) * 365).astype("timedelta64[D]")
    rows.append(_earlier_decisions(ctx, who, started, until, adult_from))

    who, decided_on, valid_until, group = _concat(rows)
    names = np.array(["", "I", "II", "III", ""], dtype=object)
    return _table("vdeavk_disability.csv.gz", "disability",
                  ("personal_code", "decided_on", "valid_until", "group"),
                  _codes(ctx, who), decided_on, valid_until, names[group])


def _groups(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    bands = np.array([first for first, _ in rates.DISABILITY_GROUP_SHARES])
    shares = np.array([s for _, s in rates.DISABILITY_GROUP_SHARES])
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    band = np.clip(np.searchsorted(bands, ages, side="right") - 1, 0, len(bands) - 1)
    draw = rng.random(len(ages))
    return (1 + (draw > cumulative[band, 0]) + (draw > cumulative[band, 1])).astype(np.int8)


def _earlier_decisions(ctx: Context, who: np.ndarray, started: np.ndarray, until: np.ndarray,
                       adult_from: np.ndarray) -> tuple[np.ndarray, ...]:
    p = ctx.persons
    started = np.maximum(started, p.birth[who])
    as_child = started < adult_from[who]
    until = np.where(as_child, np.minimum(until, adult_from[who] - ONE_DAY), until)
    keep = (until >= started) & (until >= ctx.history_start - ctx.years(1))
    who, started, until, as_child = who[keep], started[keep], until[keep], as_child[keep]
    group = np.where(as_child, CHILD, _groups(ctx.rng, p.age[who])).astype(np.int8)
    return who, started, until, group


# --- TPL technical aids -----------------------------------------------------------------------

def technical_aids(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    count = round(rates.TECHNICAL_AIDS_PER_YEAR * rates.HISTORY_YEARS * ctx.national_share)
    weight = (1.0 + rates.TECHNICAL_AID_WEIGHT_DISABLED * (ctx.disability > 0)
              + rates.TECHNICAL_AID_WEIGHT_65_PLUS * (p.age >= 65)
              + rates.TECHNICAL_AID_WEIGHT_80_PLUS * (p.age >= 80))
    who = np.sort(rng.choice(len(p), size=count, p=weight / weight.sum()))
    issued = between(rng, np.maximum(ctx.history_start, p.birth[who]), ctx.as_of, count)
    old = p.age[who] >= 65
    aid = np.where(old, categorical(rng, rates.AID_TYPES_65_PLUS, count),
                   categorical(rng, rates.AID_TYPES_UNDER_65, count))
    return _table("tpl_technical_aids.csv.gz", "technical_aids",
                  ("personal_code", "issued_on", "aid_type"), _codes(ctx, who), issued, aid)


# --- SPRR service providers -------------------------------------------------------------------

_PROVIDER_WORDS = ("Saules", "Liepu", "Ozolu", "Dārza", "Meža", "Ezera", "Upes", "Avotu",
                   "Ziedu", "Priežu", "Bērzu", "Kalna", "Pļavu", "Ābeļu")
_PROVIDER_KINDS = ("nams", "māja", "aprūpe", "centrs", "ligzda", "palīgs")


def service_providers(ctx: Context) -> Table:
    rng, m = ctx.rng, ctx.municipalities
    wanted = np.maximum(rates.PROVIDER_MIN_ROWS_PER_MUNICIPALITY,
                        np.round(rates.PROVIDER_SERVICE_ROWS * ctx.national_share * m.shares())
                        ).astype(np.int64)
    types = np.array([code for code, _ in rates.PROVIDER_SERVICE_TYPES], dtype=object)
    type_p = np.array([share for _, share in rates.PROVIDER_SERVICE_TYPES])
    type_p = type_p / type_p.sum()
    per_provider = np.array(rates.PROVIDER_SERVICES_PER_PROVIDER)

    numbers: list[str] = []
    names: list[str] = []
    places: list[str] = []
    services: list[str] = []
    used_numbers: set[str] = set()
    for index in range(len(m)):
        made = 0
        first = True
        while made < wanted[index]:
            count = min(int(rng.choice(3, p=per_provider)) + 1, int(wanted[index]) - made)
            number, name = _provider_identity(rng, m, index, municipal=first)
            while number in used_numbers:
                number, name = _provider_identity(rng, m, index, municipal=first)
            used_numbers.add(number)
            first = False
            for service in rng.choice(types, size=count, replace=False, p=type_p):
                numbers.append(number)
                names.append(name)
                places.append(str(m.codes[index]))
                services.append(str(service))
            made += count

    rows = len(numbers)
    recent = rng.random(rows) < rates.PROVIDER_REGISTERED_IN_HISTORY_SHARE
    oldest = np.datetime64(f"{rates.PROVIDER_OLDEST_YEAR}-01-01", "D")
    registered = np.where(recent, between(rng, ctx.history_start, ctx.as_of, rows),
                          between(rng, oldest, ctx.history_start - ONE_DAY, rows))
    removed_low = np.maximum(registered + np.timedelta64(60, "D"), ctx.history_start)
    removed = between(rng, removed_low, ctx.as_of, rows)
    is_removed = (rng.random(rows) < rates.PROVIDER_REMOVED_SHARE) & (removed_low <= ctx.as_of)
    removed = np.where(is_removed, removed, NAT)
    return _table("sprr_providers.csv.gz", "service_providers",
                  ("registration_number", "name", "municipality_code", "service_type",
                   "registered_on", "removed_on"),
                  np.array(numbers, dtype=object), np.array(names, dtype=object),
                  np.array(places, dtype=object), np.array(services, dtype=object),
                  registered, removed)


def _provider_identity(rng: np.random.Generator, m: Municipalities, index: int, *,
                       municipal: bool) -> tuple[str, str]:
    """A registration number and name: the municipality's own social service (a budget
    institution, 9000…) or a company (4000…) or association (4000 8…)."""
    serial = int(rng.integers(0, 10**6))
    if municipal:
        return f"90000{serial:06d}", f"{m.genitives_lv[index]} sociālais dienests"
    word = _PROVIDER_WORDS[int(rng.integers(0, len(_PROVIDER_WORDS)))]
    kind = _PROVIDER_KINDS[int(rng.integers(0, len(_PROVIDER_KINDS)))]
    if rng.random() < 0.6:
        return f"40003{serial:06d}", f"SIA «{word} {kind}»"
    return f"40008{serial:06d}", f"Biedrība «{word} {kind}»"


# --- NVA unemployed ---------------------------------------------------------------------------

def unemployed(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    mean_days = rates.UNEMPLOYMENT_MEDIAN_DAYS * np.exp(rates.UNEMPLOYMENT_SIGMA ** 2 / 2)
    # Spells that began up to four years before the history can still be open in it; starting
    # the draw that early keeps the share registered level over the history.
    begin = ctx.history_start - ctx.years(4)
    span_days = float((ctx.as_of - begin).astype(np.int64))
    # Each person's days of working age (15-64) since then: the chance of spells grows with
    # them, and the spells fall within them.
    first_day = np.maximum(begin, birthday(p.birth, 15))
    last_day = np.minimum(ctx.as_of, birthday(p.birth, 65) - ONE_DAY)
    working_days = np.maximum((last_day - first_day).astype(np.int64) + 1, 0)
    working_age_now = ((p.age >= 15) & (p.age <= 64)).sum()
    expected_spells = rates.UNEMPLOYED_SHARE_15_64 * working_age_now * span_days / mean_days
    region = ctx.municipalities.regions[p.municipality]
    weight = working_days * ((1.0 + (rates.UNEMPLOYMENT_WEIGHT_LATGALE - 1)
                              * (region == "PR-LATGALE"))
                             * (1.0 + (rates.UNEMPLOYMENT_WEIGHT_DISABLED - 1)
                                * (ctx.disability > 0))
                             * (1.0 + (rates.UNEMPLOYMENT_WEIGHT_55_PLUS - 1) * (p.age >= 55)))
    # A person may have several spells, one after another: a Poisson number per person. The
    # chain begins on a uniform day and wraps round from the last working-age day to the first,
    # so spells stay evenly spread over time; a wrapped spell that would reach into the chain's
    # first one is dropped, so no two spells of a person overlap.
    spells = rng.poisson(weight * expected_spells / max(weight.sum(), 1.0))
    person = np.repeat(np.arange(len(p)), spells)
    first = np.r_[True, person[1:] != person[:-1]] if len(person) else np.zeros(0, dtype=bool)
    low = first_day[person]
    span = working_days[person]
    duration = lognormal_days(rng, rates.UNEMPLOYMENT_MEDIAN_DAYS, rates.UNEMPLOYMENT_SIGMA,
                              len(person)).astype(np.int64)
    gap = rng.integers(14, 200, len(person))
    chain_start = np.floor(rng.random(len(person)) * span).astype(np.int64)
    chain_start = _first_of_run(first, chain_start)
    # Days from the chain's start to each spell: the durations and gaps of the ones before it.
    step = duration + gap
    before = np.cumsum(step) - step
    before = before - _first_of_run(first, before)
    relative = chain_start + before
    wrapped = relative >= span
    start_day = relative % span
    end_day = start_day + duration
    keep = ~wrapped | (end_day < chain_start)
    start_all = low[keep] + start_day[keep].astype("timedelta64[D]")
    end_all = low[keep] + end_day[keep].astype("timedelta64[D]")
    who_all = person[keep]
    keep = end_all >= ctx.history_start
    who_all, start_all, end_all = who_all[keep], start_all[keep], open_if_after(
        end_all[keep], ctx.as_of)
    ctx.unemployed = (who_all, start_all, end_all)
    return _table("nva_unemployed.csv.gz", "unemployed",
                  ("personal_code", "registered_on", "deregistered_on"),
                  _codes(ctx, who_all), start_all, end_all)


# --- VSAA socially insured --------------------------------------------------------------------

def insured(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    last_year = ctx.as_of_date.year - 1  # only whole years before the extract date
    years = range(last_year - rates.HISTORY_YEARS + 1, last_year + 1)
    born_year = p.birth.astype("datetime64[Y]").astype(np.int64) + 1970
    region = ctx.municipalities.regions[p.municipality]
    region_factor = np.vectorize(rates.WAGE_FACTOR_REGION.get, otypes=[float])(region)
    # A person's chance of work and wage level persist from year to year.
    persistent = rng.standard_normal(len(p))
    wage_level = np.exp(rates.WAGE_SIGMA * rng.standard_normal(len(p)) - rates.WAGE_SIGMA ** 2
                        / 2) * region_factor * np.where(p.male, 1.0, rates.WAGE_FACTOR_WOMEN)
    expected = rates.INSURED_PER_YEAR * ctx.national_share

    parts: Parts = []
    for year in years:
        age = year - born_year
        chance = probabilities(step_lookup(age, rates.INSURED_AGE_WEIGHT), expected)
        latent = 0.9 * persistent + np.sqrt(1 - 0.81) * rng.standard_normal(len(p))
        who = np.flatnonzero(ndtr(latent) < chance)
        full = rng.random(len(who)) < rates.INSURED_FULL_YEAR_SHARE
        months = np.where(full, 12, rng.integers(1, 12, len(who)))
        monthly = (wage_level[who] * step_lookup(age[who], rates.WAGE_AGE_FACTOR)
                   * np.exp(rates.WAGE_PERSON_YEAR_SIGMA * rng.standard_normal(len(who))))
        parts.append((who, np.full(len(who), year), months, monthly))

    # Scale so the last year's mean monthly wage is the national mean, earlier years lower by
    # the growth. Amounts become whole cents here, once.
    reference = parts[-1][3]
    scale = rates.MEAN_MONTHLY_WAGE_EUR / reference.mean() if len(reference) else 0.0
    rows: Parts = []
    for who, year_column, months, monthly in parts:
        growth = (1 + rates.WAGE_YEARLY_GROWTH) ** (year_column - last_year)
        cents = np.round(monthly * scale * growth * months * 100).astype(np.int64)
        rows.append((who, year_column.astype(np.int64), months.astype(np.int64), cents))
    who, year_column, months, cents = _concat(rows)
    ctx.insured = (who, year_column)
    return _table("vsaa_insured.csv.gz", "insured",
                  ("personal_code", "year", "months", "contribution_wage_cents"),
                  _codes(ctx, who), year_column, months, cents)


# --- SPOLIS state social services -------------------------------------------------------------

def state_social_services(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    total = rates.STATE_SERVICE_ROWS * ctx.national_share
    shares = dict(rates.STATE_SERVICE_TYPES)
    adult = p.age >= 18
    disabled = ctx.disability > 0
    severe = (ctx.disability == 1) | (ctx.disability == 2)
    # (weight, median days, log spread, years before the history a spell may begin)
    plans = {
        "long_term_care": (severe * adult * (1.0 + 3.0 * (p.age >= 65)) + 0.02 * (p.age >= 80),
                           1100, 0.8, 4),
        "social_rehabilitation": (disabled * adult * (p.age < 65) * 1.0, 60, 0.6, 1),
        "vocational_rehabilitation": (disabled * adult * (p.age <= 60) * 1.0, 300, 0.4, 1),
        "technical_aids_service": (disabled * 1.0, 30, 0.5, 1),
        "sign_language_interpreter": (disabled * (p.age >= 7) * 1.0, 365, 0.3, 1),
    }
    parts: Parts = []
    for service, (weight, median, sigma, lead_years) in plans.items():
        who = chosen(rng, np.asarray(weight, dtype=float), total * shares[service])
        start = between(rng, np.maximum(ctx.history_start - ctx.years(lead_years),
                                        p.birth[who]), ctx.as_of, len(who))
        end = start + lognormal_days(rng, median, sigma, len(who))
        keep = end >= ctx.history_start
        parts.append((who[keep], np.full(keep.sum(), service, dtype=object), start[keep],
                      open_if_after(end[keep], ctx.as_of)))
    who, service_type, started, ended = _concat(parts)
    return _table("spolis_state_services.csv.gz", "state_social_services",
                  ("personal_code", "service_type", "started_on", "ended_on"),
                  _codes(ctx, who), service_type, started, ended)


# --- VSAA benefits ----------------------------------------------------------------------------

def vsaa_benefits(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    n = len(p)
    parts: Parts = []

    def add(benefit: str, who: np.ndarray, started: np.ndarray, ended: np.ndarray) -> None:
        started = np.minimum(started, ctx.as_of)
        ended = open_if_after(ended, ctx.as_of)
        keep = np.isnat(ended) | ((ended >= started) & (ended >= ctx.history_start))
        parts.append((who[keep], np.full(keep.sum(), benefit, dtype=object), started[keep],
                      ended[keep]))

    def none(size: int) -> np.ndarray:
        return np.full(size, NAT)

    # Old-age pension: nearly everyone past pension age, from the birthday; a few up to two
    # years early.
    draw = rng.random(n)
    normal = np.flatnonzero((p.age >= rates.PENSION_AGE) & (draw < rates.OLD_AGE_PENSION_SHARE))
    start = birthday(p.birth[normal], rates.PENSION_AGE) + rng.integers(
        0, 60, len(normal)).astype("timedelta64[D]")
    add("old_age_pension", normal, start, none(len(normal)))
    early = np.flatnonzero((p.age >= rates.PENSION_AGE - 2) & (p.age < rates.PENSION_AGE)
                           & (draw < rates.EARLY_PENSION_SHARE))
    add("old_age_pension", early,
        between(rng, birthday(p.birth[early], rates.PENSION_AGE - 2), ctx.as_of, len(early)),
        none(len(early)))

    # Disability pension: most adults under pension age with a group, from the decision.
    working = (p.age >= 18) & (p.age < rates.PENSION_AGE)
    pension_share = np.select([(ctx.disability == 1) | (ctx.disability == 2), ctx.disability == 3],
                      [rates.DISABILITY_PENSION_SHARE_I_II, rates.DISABILITY_PENSION_SHARE_III],
                      0.0)
    pension = working & (rng.random(n) < pension_share)
    who = np.flatnonzero(pension)
    add("disability_pension", who, ctx.decided[who], none(len(who)))

    # Survivor's pension: children who lost a breadwinner, until 18.
    minor_or_recent = p.age < 21
    who = np.flatnonzero(minor_or_recent
                         & (rng.random(n) < rates.SURVIVOR_PENSION_SHARE_MINORS))
    adult_from = birthday(p.birth[who], 18)
    add("survivor_pension", who, between(rng, p.birth[who], np.minimum(adult_from, ctx.as_of),
                                         len(who)), adult_from - ONE_DAY)

    # State social security benefit for the disabled without a pension, and the care benefit.
    child = ctx.disability == CHILD
    adult_no_pension = (ctx.disability > 0) & (ctx.disability < CHILD) & ~pension
    draw = rng.random(n)
    who = np.flatnonzero((child & (draw < rates.DISABILITY_BENEFIT_SHARE_CHILDREN))
                         | (adult_no_pension
                            & (draw < rates.DISABILITY_BENEFIT_SHARE_ADULTS_NO_PENSION)))
    add("disability_benefit", who, ctx.decided[who], _adult_end(p, who, child))
    draw = rng.random(n)
    who = np.flatnonzero((child & (draw < rates.CARE_BENEFIT_SHARE_CHILDREN))
                         | ((ctx.disability == 1) & (draw < rates.CARE_BENEFIT_SHARE_GROUP_I)))
    add("care_benefit_disabled", who, ctx.decided[who], _adult_end(p, who, child))

    # Childcare and parental benefits: one claim per young child, paid to a parent living in
    # the same municipality.
    infants = np.flatnonzero(p.birth >= ctx.history_start - ctx.years(1.5))
    for benefit, share, months in (("childcare_benefit", rates.CHILDCARE_BENEFIT_PER_INFANT, 18),
                                   ("parental_benefit", rates.PARENTAL_BENEFIT_PER_INFANT, 12)):
        child_index = infants[rng.random(len(infants)) < share]
        parent = _parents(ctx, child_index)
        start = p.birth[child_index] + rng.integers(0, 60, len(child_index)).astype(
            "timedelta64[D]")
        end = start + np.timedelta64(months * 30, "D")
        add(benefit, parent, start, end)

    # Unemployment benefit: for most spells, from registration, at most eight months.
    if ctx.unemployed is not None:
        who, registered, deregistered = ctx.unemployed
        paid = rng.random(len(who)) < rates.UNEMPLOYMENT_BENEFIT_SHARE
        who, registered, deregistered = who[paid], registered[paid], deregistered[paid]
        start = registered + rng.integers(0, 15, len(who)).astype("timedelta64[D]")
        limit = start + np.timedelta64(rates.UNEMPLOYMENT_BENEFIT_MAX_DAYS, "D")
        end = np.where(np.isnat(deregistered), limit, np.minimum(deregistered, limit))
        end = np.maximum(end, start)
        add("unemployment_benefit", who, start, end)

    # Sickness benefit: a share of insured years has a spell of sick leave paid by VSAA.
    if ctx.insured is not None:
        who, year = ctx.insured
        sick = rng.random(len(who)) < rates.SICKNESS_BENEFIT_PER_INSURED_YEAR
        who, year = who[sick], year[sick]
        year_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        start = between(rng, year_start, year_start + np.timedelta64(364, "D"), len(who))
        add("sickness_benefit", who, start,
            start + lognormal_days(rng, 21, 0.7, len(who)))

    who, benefit_type, started, ended = _concat(parts)
    return _table("vsaa_benefits.csv.gz", "vsaa_benefits",
                  ("personal_code", "benefit_type", "started_on", "ended_on"),
                  _codes(ctx, who), benefit_type, started, ended)


def _adult_end(p: Persons, who: np.ndarray, child: np.ndarray) -> np.ndarray:
    """A child's benefit ends on the eve of the 18th birthday; an adult's stays open."""
    return np.where(child[who], birthday(p.birth[who], 18) - ONE_DAY, NAT)


def _parents(ctx: Context, children: np.ndarray) -> np.ndarray:
    """A parent for each child: a woman aged 20-44 (or, for some, a man aged 22-50) of the
    child's municipality, or of the whole country where the municipality has none."""
    rng, p = ctx.rng, ctx.persons
    father = rng.random(len(children)) < rates.PARENT_MEN_SHARE
    mothers = np.flatnonzero(~p.male & (p.age >= 20) & (p.age <= 44))
    fathers = np.flatnonzero(p.male & (p.age >= 22) & (p.age <= 50))
    parent = np.empty(len(children), dtype=np.int64)
    for is_father, pool in ((False, mothers), (True, fathers)):
        mask = father == is_father
        if not mask.any():
            continue
        if len(pool) == 0:
            pool = np.arange(len(p))
        parent[mask] = _same_municipality(rng, pool, p.municipality, children[mask])
    return parent


def _same_municipality(rng: np.random.Generator, pool: np.ndarray, municipality: np.ndarray,
                       of: np.ndarray) -> np.ndarray:
    order = pool[np.argsort(municipality[pool], kind="stable")]
    places = municipality[order]
    wanted = municipality[of]
    first = np.searchsorted(places, wanted, side="left")
    count = np.searchsorted(places, wanted, side="right") - first
    anywhere = rng.integers(0, len(order), len(of))
    local = first + np.floor(rng.random(len(of)) * np.maximum(count, 1)).astype(np.int64)
    return np.where(count > 0, order[np.minimum(local, len(order) - 1)],  # type: ignore[no-any-return]
                    order[anywhere])


# --- SPOLIS community-service requests --------------------------------------------------------

def community_requests(ctx: Context) -> Table:
    rng, p, m = ctx.rng, ctx.persons, ctx.municipalities
    count = round(rates.COMMUNITY_REQUESTS_PER_YEAR * rates.HISTORY_YEARS * ctx.national_share)
    weight = (1.0 + rates.COMMUNITY_REQUEST_WEIGHT_DISABLED * (ctx.disability > 0)
              + rates.COMMUNITY_REQUEST_WEIGHT_75_PLUS * (p.age >= 75))
    who = np.sort(rng.choice(len(p), size=count, p=weight / weight.sum()))
    requested = between(rng, np.maximum(ctx.history_start, p.birth[who]), ctx.as_of, count)
    asked = p.municipality[who].copy()
    # Some ask a neighbouring municipality of the same planning region.
    elsewhere = np.flatnonzero(rng.random(count) < rates.COMMUNITY_REQUEST_ELSEWHERE_SHARE)
    for index in elsewhere.tolist():
        region = m.regions[asked[index]]
        others = np.flatnonzero((m.regions == region) & (np.arange(len(m)) != asked[index]))
        if len(others):
            asked[index] = others[int(rng.integers(0, len(others)))]
    service = categorical(rng, rates.COMMUNITY_SERVICE_TYPES, count)
    return _table("spolis_community_requests.csv.gz", "community_requests",
                  ("personal_code", "requested_on", "municipality_code", "service_type"),
                  _codes(ctx, who), requested, m.codes[asked], service)


# --- NPAIS out-of-family care -----------------------------------------------------------------

def out_of_family_care(ctx: Context) -> Table:
    rng, p = ctx.rng, ctx.persons
    adult_from = birthday(p.birth, 18)
    begin = ctx.history_start - ctx.years(8)
    # A child's chance of a placement grows with the days he was a minor since ``begin``, and
    # the placement begins on one of those days: placements spread evenly over time.
    first_day = np.maximum(begin, p.birth)
    last_day = np.minimum(ctx.as_of, adult_from - ONE_DAY)
    minor_days = np.maximum((last_day - first_day).astype(np.int64) + 1, 0)
    minors = (p.age < 18).sum()
    mean_days = rates.OUT_OF_FAMILY_CARE_MEDIAN_DAYS * np.exp(
        rates.OUT_OF_FAMILY_CARE_SIGMA ** 2 / 2)
    span_days = float((ctx.as_of - begin).astype(np.int64))
    expected = (rates.OUT_OF_FAMILY_CARE_SHARE_MINORS * minors * span_days / mean_days
                * rates.OUT_OF_FAMILY_CARE_CUT_AT_18)
    region = ctx.municipalities.regions[p.municipality]
    weight = minor_days * ((1.0 + (rates.OUT_OF_FAMILY_CARE_WEIGHT_LATGALE - 1)
                            * (region == "PR-LATGALE"))
                           * (1.0 + (rates.OUT_OF_FAMILY_CARE_WEIGHT_DISABLED - 1)
                              * (ctx.disability == CHILD)))
    who = chosen(rng, weight.astype(float), expected)
    start = between(rng, first_day[who], last_day[who], len(who))
    end = np.minimum(start + lognormal_days(rng, rates.OUT_OF_FAMILY_CARE_MEDIAN_DAYS,
                                            rates.OUT_OF_FAMILY_CARE_SIGMA, len(who)),
                     adult_from[who] - ONE_DAY)
    keep = (end >= ctx.history_start) & (start <= ctx.as_of) & (end >= start)
    who, start, end = who[keep], start[keep], open_if_after(end[keep], ctx.as_of)
    form = categorical(rng, rates.CARE_FORMS, len(who))
    return _table("npais_out_of_family_care.csv.gz", "out_of_family_care",
                  ("personal_code", "form", "started_on", "ended_on"),
                  _codes(ctx, who), form, start, end)
