"""Violence and deprivation: counts and rates by IMD decile, the most/least deprived gap, its trend.

Deciles follow the English Indices of Deprivation 2019: decile 1 is the **most** deprived 10 % of
LSOAs in England, decile 10 the least (MHCLG 2019, *The English Indices of Deprivation 2019:
Technical Report*). Rates are crude rates per 1,000 residents with PHE's Byar interval
(:func:`vrkit.analysis.trends.rates_per_1000`).

References
----------
Rothman, K. J., Greenland, S. & Lash, T. L. (2008). *Modern Epidemiology*, 3rd ed., ch. 14: the
rate ratio and its confidence interval ``exp(log RR ± z √(1/a + 1/b))``.
PHE (2018). *Technical Guide: Confidence Intervals* (Byar's method for rates).
McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. (Poisson log-linear
model with an offset; quasi-Poisson scale for over-dispersion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis._validate import require_columns
from vrkit.analysis.trends import rates_per_1000
from vrkit.errors import InputError

MOST_DEPRIVED = 1
LEAST_DEPRIVED = 10


def rate_ratio(
    count_a: float, pop_a: float, count_b: float, pop_b: float, *, level: float = 0.95
) -> tuple[float, float, float]:
    """Rate ratio (a vs b) with the log-normal Poisson interval ``exp(log RR ± z √(1/a + 1/b))``
    (Rothman et al. 2008, ch. 14). Undefined (error) when a count is 0 or a population ≤ 0."""
    if min(count_a, count_b) <= 0:
        raise InputError(
            f"rate ratio needs a positive count in both groups (got {count_a:g} and {count_b:g})"
        )
    if min(pop_a, pop_b) <= 0:
        raise InputError("rate ratio needs positive populations in both groups")
    rr = (count_a / pop_a) / (count_b / pop_b)
    z = stats.norm.ppf(0.5 + level / 2)
    se = math.sqrt(1 / count_a + 1 / count_b)
    return rr, rr * math.exp(-z * se), rr * math.exp(z * se)


@dataclass(frozen=True, eq=False)
class DeprivationProfile:
    """Violence by deprivation decile for one period.

    Attributes
    ----------
    table : DataFrame
        ``decile, places, count, population, rate, rate_lower, rate_upper, share_of_count,
        share_of_population`` (rate per 1,000 residents, Byar 95 % interval).
    rate_ratio, rr_lower, rr_upper : float
        Rate in decile 1 (most deprived) ÷ rate in decile 10 (least deprived).
    unmatched : dict
        Places and crimes with no decile (kept out of the table, never silently).
    """

    table: pd.DataFrame
    rate_ratio: float
    rr_lower: float
    rr_upper: float
    decile_column: str
    unmatched: dict[str, float]
    method: str
    reference: str
    params: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def by_decile(
    counts: pd.DataFrame,
    deciles: pd.DataFrame,
    population: pd.DataFrame,
    *,
    decile_column: str = "imd2019_decile",
    id_column: str = "area_code",
    count: str = "count",
    level: float = 0.95,
) -> DeprivationProfile:
    """Counts and rates per 1,000 residents by deprivation decile, and the decile 1 : 10 ratio.

    Parameters
    ----------
    counts : DataFrame
        ``id_column, count`` per LSOA (one period). NaN counts are refused.
    deciles : DataFrame
        ``id_column, decile_column`` (IMD or any domain decile, 1 = most deprived).
    population : DataFrame
        ``id_column, population`` (residents, same period).
    """
    require_columns(counts, [id_column, count], "counts")
    require_columns(deciles, [id_column, decile_column], "deciles")
    require_columns(population, [id_column, "population"], "population")
    if counts[count].isna().any():
        bad = counts.loc[counts[count].isna(), id_column].iloc[0]
        raise InputError(
            f"{int(counts[count].isna().sum())} count(s) are missing (first: {bad})",
            hint="Missing is not zero: drop or fill them explicitly.",
        )
    c = counts.groupby(id_column, as_index=False)[count].sum()
    d = deciles[[id_column, decile_column]].drop_duplicates(id_column)
    p = population[[id_column, "population"]].drop_duplicates(id_column)
    m = c.merge(d, on=id_column, how="left").merge(p, on=id_column, how="left")
    no_dec = m[decile_column].isna()
    no_pop = m["population"].isna() & ~no_dec
    unmatched = {
        "places_without_decile": int(no_dec.sum()),
        "crimes_without_decile": float(m.loc[no_dec, count].sum()),
        "places_without_population": int(no_pop.sum()),
        "crimes_without_population": float(m.loc[no_pop, count].sum()),
    }
    warns = [f"{k.replace('_', ' ')}: {v:g}" for k, v in unmatched.items() if v]
    m = m[~no_dec & ~no_pop]
    if m.empty:
        raise InputError(
            "no place has both a decile and a population", hint="Check the area codes match."
        )
    dec = m[decile_column].astype(int)
    if not dec.between(1, 10).all():
        raise InputError(f"{decile_column} must be 1–10 (found {sorted(dec.unique())[:5]} ...)")
    g = (
        m.assign(decile=dec)
        .groupby("decile", as_index=False)
        .agg(places=(id_column, "size"), count=(count, "sum"), population=("population", "sum"))
    )
    g = g.set_index("decile").reindex(range(1, 11))
    empty = g["places"].isna()
    if empty.any():
        warns.append(f"no places in decile(s) {', '.join(map(str, g.index[empty]))}")
    g = g.reset_index()
    g["places"] = g["places"].fillna(0).astype(int)
    table = rates_per_1000(g, count="count", population="population", level=level)
    table["share_of_count"] = table["count"] / table["count"].sum()
    table["share_of_population"] = table["population"] / table["population"].sum()
    first, last = table.iloc[MOST_DEPRIVED - 1], table.iloc[LEAST_DEPRIVED - 1]
    try:
        rr, lo, hi = rate_ratio(
            first["count"], first["population"], last["count"], last["population"], level=level
        )
    except InputError as exc:
        rr = lo = hi = math.nan
        warns.append(f"rate ratio undefined: {exc.message}")
    return DeprivationProfile(
        table=table,
        rate_ratio=rr,
        rr_lower=lo,
        rr_upper=hi,
        decile_column=decile_column,
        unmatched=unmatched,
        method="crude rates per 1,000 by decile (Byar CI); rate ratio decile 1 vs 10 (log-normal CI)",
        reference="MHCLG (2019) IoD2019 Technical Report; PHE (2018) Technical Guide: Confidence Intervals; Rothman et al. (2008) ch. 14",
        params={
            "decile_column": decile_column,
            "level": level,
            "most_deprived": MOST_DEPRIVED,
            "least_deprived": LEAST_DEPRIVED,
        },
        warnings=tuple(warns),
    )


@dataclass(frozen=True, eq=False)
class GapTrend:
    """The most-vs-least-deprived rate ratio per period and its trend.

    ``by_period``: ``period, count_most, pop_most, count_least, pop_least, rate_most, rate_least,
    rate_ratio, rr_lower, rr_upper, rate_difference``. ``annual_change``: multiplicative change of
    the rate ratio per period step (``exp`` of the interaction slope) with its CI and p-value.
    """

    by_period: pd.DataFrame
    annual_change: float
    change_lower: float
    change_upper: float
    p_value: float
    dispersion: float
    method: str
    reference: str
    params: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return self.by_period.copy()


def gap_trend(
    counts: pd.DataFrame,
    deciles: pd.DataFrame,
    population: pd.DataFrame,
    *,
    decile_column: str = "imd2019_decile",
    id_column: str = "area_code",
    period: str = "year",
    count: str = "count",
    level: float = 0.95,
) -> GapTrend:
    """Trend of the decile 1 : decile 10 rate ratio over periods.

    Fits a Poisson log-linear model to the two groups' counts with ``log(population)`` as
    offset: ``log μ = β0 + β1·most + β2·t + β3·most·t``; ``exp(β3)`` is the change in the rate
    ratio per period step (1.0 = no change). The standard errors use the quasi-Poisson scale
    (Pearson χ²/df, floored at 1) to allow for over-dispersion (McCullagh & Nelder 1989).

    Parameters
    ----------
    counts : DataFrame
        ``id_column, period, count`` per LSOA and period (numeric periods, e.g. years).
    population : DataFrame
        ``id_column, population`` and optionally ``period`` (else the same for every period).
    """
    import statsmodels.api as sm

    require_columns(counts, [id_column, period, count], "counts")
    periods = sorted(counts[period].unique())
    if len(periods) < 3:
        raise InputError(f"a trend needs at least 3 periods (got {len(periods)})")
    rows = []
    for per in periods:
        cp = counts[counts[period] == per]
        pop = population
        if period in population.columns:
            pop = population[population[period] == per]
            if pop.empty:
                raise InputError(f"no population for period {per}")
        prof = by_decile(
            cp,
            deciles,
            pop,
            decile_column=decile_column,
            id_column=id_column,
            count=count,
            level=level,
        )
        t = prof.table
        a, b = t.iloc[MOST_DEPRIVED - 1], t.iloc[LEAST_DEPRIVED - 1]
        rows.append(
            {
                "period": per,
                "count_most": float(a["count"]),
                "pop_most": float(a["population"]),
                "count_least": float(b["count"]),
                "pop_least": float(b["population"]),
                "rate_most": float(a["rate"]),
                "rate_least": float(b["rate"]),
                "rate_ratio": prof.rate_ratio,
                "rr_lower": prof.rr_lower,
                "rr_upper": prof.rr_upper,
                "rate_difference": float(a["rate"] - b["rate"]),
            }
        )
    bp = pd.DataFrame(rows)
    empty = bp[(bp["pop_most"].fillna(0) <= 0) | (bp["pop_least"].fillna(0) <= 0)]
    if not empty.empty:
        raise InputError(
            f"decile {MOST_DEPRIVED} or {LEAST_DEPRIVED} has no residents in period "
            f"{empty['period'].iloc[0]}: the gap cannot be measured",
            hint="Use a larger area (e.g. London) where both deciles are present.",
        )
    tnum = np.asarray(bp["period"], dtype=float)
    tc = tnum - tnum.mean()
    y = np.concatenate([bp["count_most"], bp["count_least"]])
    off = np.log(np.concatenate([bp["pop_most"], bp["pop_least"]]))
    most = np.concatenate([np.ones(len(bp)), np.zeros(len(bp))])
    tt = np.concatenate([tc, tc])
    x = np.column_stack([np.ones_like(y), most, tt, most * tt])
    fit = sm.GLM(y, x, family=sm.families.Poisson(), offset=off).fit()
    dof = max(1, len(y) - x.shape[1])
    disp = max(1.0, float(fit.pearson_chi2 / dof))
    beta = float(fit.params[3])
    se = float(fit.bse[3]) * math.sqrt(disp)
    z = stats.norm.ppf(0.5 + level / 2)
    p = float(2 * stats.norm.sf(abs(beta / se))) if se > 0 else math.nan
    return GapTrend(
        by_period=bp,
        annual_change=math.exp(beta),
        change_lower=math.exp(beta - z * se),
        change_upper=math.exp(beta + z * se),
        p_value=p,
        dispersion=disp,
        method="Poisson log-linear model with population offset; group × period interaction",
        reference="McCullagh & Nelder (1989); Rothman et al. (2008) ch. 14",
        params={
            "decile_column": decile_column,
            "level": level,
            "periods": [*map(str, periods)],
            "scale": "quasi-Poisson (Pearson chi2/df, floored at 1)",
        },
    )
