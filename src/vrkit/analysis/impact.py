"""Impact estimates for place-based programmes: DiD with event study, staggered DiD, synthetic control.

Field libraries do the estimation; this module prepares the panel, states the design and
collects what a reviewer needs (assumptions, comparison units and weights, pre-period fit,
estimate with confidence interval, threats):

- **Difference-in-differences** (two-way fixed effects) and its **event study**:
  ``linearmodels.PanelOLS`` with area and month effects and standard errors clustered by area;
  the confidence interval uses Student's t with G − 1 degrees of freedom (G = number of areas),
  the small-cluster correction of Cameron and Miller (2015). The pre-trend test is the joint
  Wald test (cluster-robust covariance) that every pre-period event-study coefficient is zero,
  as an F(q, G − 1) statistic.
- **Staggered adoption**: the group-time ATT estimator of Callaway and Sant'Anna (2021),
  ``differences.ATTgt`` (outcome regression, never-treated or not-yet-treated comparison),
  aggregated to an overall ATT and an event study. Pre-trends: the smallest pointwise p-value
  of the pre-period event-time ATTs, Bonferroni-adjusted (the library reports pointwise
  standard errors only; conservative, stated).
- **Synthetic control** (Abadie, Diamond and Hainmueller 2010): ``pysyncon.Synth`` with the
  donor weights fitted to the pre-period outcome path (predictors = every pre-period month,
  V = identity). Inference is **placebo in space**: the same fit is run for every donor as if it
  were treated; the p-value is the rank of the treated area's post/pre RMSPE ratio (Abadie et
  al. 2010), and the confidence interval inverts the placebo distribution of post-period mean
  gaps, ``[τ̂ − q_{1−α/2}, τ̂ − q_{α/2}]``, using placebos whose pre-period fit is within 5 ×
  the treated area's RMSPE (Abadie et al.'s exclusion rule), which is valid when the treated
  area is exchangeable with the donors.

Outcomes are analysed on the log scale by default, ``log(count + 1)``, so effects are
proportional (``exp(τ) − 1`` is the percentage change) and comparable across areas of different
size; ``transform="level"`` analyses counts.

Every result states the months it used and flags months inside catalogued COVID-19 restriction
periods (``catalog/events.toml``), which can be excluded (``exclude_covid=True``).
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis.early_warning import excluded_months
from vrkit.errors import InputError

Transform = Literal["log", "level"]
REFERENCES = {
    "did": "Two-way fixed-effects DiD and event study (Angrist and Pischke 2009; Roth et al. "
    "2023 'What's trending in difference-in-differences?'); cluster-robust inference with few "
    "clusters (Cameron and Miller 2015). Estimator: linearmodels.PanelOLS.",
    "staggered": "Callaway, B. and Sant'Anna, P. H. C. (2021) Difference-in-differences with "
    "multiple time periods. Journal of Econometrics 225(2). Estimator: differences.ATTgt.",
    "scm": "Abadie, A., Diamond, A. and Hainmueller, J. (2010) Synthetic control methods for "
    "comparative case studies. JASA 105(490); placebo-in-space inference. Estimator: "
    "pysyncon.Synth.",
}


@dataclass(frozen=True)
class ImpactResult:
    """An impact estimate with everything a reviewer needs.

    Attributes
    ----------
    design : str
        ``did``, ``staggered`` or ``scm``.
    estimate, se, ci_low, ci_high : float
        Effect on the analysis scale (log points for ``transform="log"``), its standard error
        (NaN for the synthetic control, whose interval comes from placebos) and the
        ``1 − alpha`` confidence interval.
    p_value : float
    pct_effect, pct_ci_low, pct_ci_high : float
        ``100 (exp(x) − 1)`` for the log scale; NaN for levels.
    event_study : DataFrame
        ``rel_time, estimate, ci_low, ci_high`` (event-time effects; for the synthetic control,
        the treated-minus-synthetic gap by month, with the placebo band).
    pretrend : dict
        The pre-trend test: ``test, statistic, df, p_value, note``.
    comparison : DataFrame
        ``area_code, weight, role`` of every unit used (treated, comparison, placebo).
    pre_fit : dict
        Pre-period fit measures (RMSE/RMSPE, months).
    assumptions, threats, warnings : list of str
    method, reference : str
    params : dict
    """

    design: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float
    transform: str
    pct_effect: float
    pct_ci_low: float
    pct_ci_high: float
    event_study: pd.DataFrame
    pretrend: dict[str, Any]
    comparison: pd.DataFrame
    pre_fit: dict[str, Any]
    assumptions: list[str]
    threats: list[str]
    warnings: list[str]
    method: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)

    def covers(self, value: float) -> bool:
        """True when ``value`` lies inside the confidence interval."""
        return bool(self.ci_low <= value <= self.ci_high)

    def to_frame(self) -> pd.DataFrame:
        """The event-study (or gap) table."""
        return self.event_study.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the whole result."""

        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not np.isfinite(v) else v

        return {
            "design": self.design,
            "estimate": clean(self.estimate),
            "se": clean(self.se),
            "ci": [clean(self.ci_low), clean(self.ci_high)],
            "confidence_level": 1 - self.alpha,
            "p_value": clean(self.p_value),
            "transform": self.transform,
            "pct_effect": clean(self.pct_effect),
            "pct_ci": [clean(self.pct_ci_low), clean(self.pct_ci_high)],
            "event_study": self.event_study.assign(
                rel_time=self.event_study["rel_time"].astype(str)
            )
            .replace({np.nan: None})
            .to_dict("records"),
            "pretrend": {k: clean(v) for k, v in self.pretrend.items()},
            "comparison": self.comparison.to_dict("records"),
            "pre_fit": {k: clean(v) for k, v in self.pre_fit.items()},
            "assumptions": self.assumptions,
            "threats": self.threats,
            "warnings": self.warnings,
            "method": self.method,
            "reference": self.reference,
            "params": self.params,
        }


# ----------------------------------------------------------------------------------------------
# Panel preparation


@dataclass(frozen=True)
class _Panel:
    wide: pd.DataFrame  # month × area, analysis scale
    months: pd.DatetimeIndex
    units: list[str]
    covid: list[pd.Timestamp]
    dropped_covid: bool


def _prepare(
    panel: pd.DataFrame,
    *,
    transform: Transform,
    exclude_covid: bool,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> _Panel:
    for c in ("area_code", "month", "count"):
        if c not in panel.columns:
            raise InputError(f"the panel has no {c!r} column (needs area_code, month, count)")
    if transform not in ("log", "level"):
        raise InputError(f"unknown transform {transform!r}; use log or level")
    df = panel[["area_code", "month", "count"]].copy()
    df["month"] = pd.to_datetime(df["month"]).dt.to_period("M").dt.to_timestamp()
    if start is not None:
        df = df[df["month"] >= start]
    if end is not None:
        df = df[df["month"] <= end]
    if df.duplicated(["area_code", "month"]).any():
        r = df[df.duplicated(["area_code", "month"])].iloc[0]
        raise InputError(f"area {r['area_code']} has two rows for {r['month']:%Y-%m}")
    cnt = pd.to_numeric(df["count"], errors="coerce")
    if cnt.isna().any():
        r = df[cnt.isna()].iloc[0]
        raise InputError(
            f"area {r['area_code']} has a missing count for {r['month']:%Y-%m}",
            hint="Missing is not zero: choose a period every area covers.",
        )
    if (cnt < 0).any():
        raise InputError("counts must be ≥ 0")
    df["count"] = cnt.astype(float)
    wide = df.pivot(index="month", columns="area_code", values="count").sort_index()
    if wide.isna().any().any():
        col = wide.columns[wide.isna().any()][0]
        m = wide.index[wide[col].isna()][0]
        raise InputError(
            f"the panel is unbalanced: area {col} has no row for {m:%Y-%m}",
            hint="Every area needs every month (missing is not zero); restrict the period.",
        )
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="MS")
    if len(full) != len(wide):
        gap = full.difference(wide.index)[0]
        raise InputError(f"the panel has no data for {gap:%Y-%m} (months must be continuous)")
    covid_all = set(excluded_months())
    covid = [m for m in wide.index if m in covid_all]
    if exclude_covid and covid:
        wide = wide.drop(index=covid)
    y = np.log1p(wide) if transform == "log" else wide
    return _Panel(
        wide=y,
        months=pd.DatetimeIndex(wide.index),
        units=[str(c) for c in wide.columns],
        covid=covid,
        dropped_covid=bool(exclude_covid and covid),
    )


def _check_units(units: Sequence[str], p: _Panel, what: str) -> list[str]:
    out = [str(u) for u in units]
    if not out:
        raise InputError(f"no {what} areas given")
    unknown = [u for u in out if u not in p.units]
    if unknown:
        raise InputError(f"{what} area {unknown[0]!r} is not in the panel")
    if len(set(out)) != len(out):
        raise InputError(f"a {what} area is listed twice")
    return out


def _pct(x: float, transform: str) -> float:
    return float(100 * (np.exp(x) - 1)) if transform == "log" else float("nan")


def _estimate(
    est: float, se: float, lo: float, hi: float, pval: float, alpha: float, transform: str
) -> dict[str, Any]:
    """The estimate fields of an :class:`ImpactResult`, with percentages for the log scale."""
    return {
        "estimate": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": pval,
        "alpha": alpha,
        "transform": transform,
        "pct_effect": _pct(est, transform),
        "pct_ci_low": _pct(lo, transform),
        "pct_ci_high": _pct(hi, transform),
    }


def _covid_threat(p: _Panel, start: pd.Timestamp) -> list[str]:
    post_covid = [m for m in p.covid if m >= start]
    pre_covid = [m for m in p.covid if m < start]
    out = []
    if p.dropped_covid:
        out.append(
            f"{len(p.covid)} month(s) inside COVID-19 restriction periods were excluded "
            f"({p.covid[0]:%Y-%m} to {p.covid[-1]:%Y-%m})."
        )
    elif post_covid or pre_covid:
        out.append(
            f"{len(p.covid)} month(s) of the panel fall inside COVID-19 restriction periods "
            f"({p.covid[0]:%Y-%m} to {p.covid[-1]:%Y-%m}); lockdowns changed violence "
            "differently by area type (night-time economy, residential), which can bias a "
            "comparison. Re-run with exclude_covid=True to check."
        )
    return out


SPILLOVER = (
    "Spill-over: if the programme displaced violence into, or diffused benefits to, the "
    "comparison areas (neighbouring boroughs/wards), the comparison is contaminated; exclude "
    "neighbours of treated areas from the comparison group to check."
)


# ----------------------------------------------------------------------------------------------
# Difference-in-differences with an event study


def difference_in_differences(
    panel: pd.DataFrame,
    treated: Sequence[str],
    start: str | pd.Timestamp,
    *,
    comparison: Sequence[str] | None = None,
    transform: Transform = "log",
    window: tuple[int, int] = (-12, 12),
    alpha: float = 0.05,
    exclude_covid: bool = False,
    period: tuple[str, str] | None = None,
    event_study: bool = True,
) -> ImpactResult:
    """Two-way fixed-effects DiD and event study for areas treated from ``start``.

    Parameters
    ----------
    panel : DataFrame
        ``area_code, month, count`` (balanced: every area every month). Not modified.
    treated : sequence of str
        Areas where the programme ran, all from ``start`` (use :func:`staggered_did` when
        start dates differ).
    start : month
        First month of delivery.
    comparison : sequence of str, optional
        Comparison areas (default: every other area in the panel).
    window : (int, int)
        Event-study window in months around ``start``; months outside are binned into the end
        points. The month before ``start`` (−1) is the reference.
    alpha : float
        1 − confidence level.
    exclude_covid : bool
        Drop months inside catalogued COVID-19 restriction periods.
    period : (str, str), optional
        First and last month to use.
    event_study : bool
        Also fit the event study and the pre-trend test (default); ``False`` gives the pooled
        estimate only (for simulations).
    """
    from linearmodels import PanelOLS

    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1 (got {alpha!r})")
    t0 = pd.Timestamp(start).to_period("M").to_timestamp()
    lo_w, hi_w = window
    if not (lo_w < -1 and hi_w >= 0):
        raise InputError(f"window must include months before −1 and from 0 (got {window!r})")
    p = _prepare(
        panel,
        transform=transform,
        exclude_covid=exclude_covid,
        start=pd.Timestamp(period[0]) if period else None,
        end=pd.Timestamp(period[1]) if period else None,
    )
    tr = _check_units(treated, p, "treated")
    ctrl = (
        _check_units(comparison, p, "comparison")
        if comparison is not None
        else [u for u in p.units if u not in tr]
    )
    if set(tr) & set(ctrl):
        raise InputError("an area cannot be both treated and comparison")
    if len(ctrl) < 2:
        raise InputError("at least two comparison areas are needed")
    n_pre = int((p.months < t0).sum())
    n_post = int((p.months >= t0).sum())
    if n_pre < 2 or n_post < 1:
        raise InputError(
            f"need at least 2 months before and 1 from {t0:%Y-%m} (have {n_pre} and {n_post})"
        )
    units = tr + ctrl
    long = p.wide[units].stack().rename("y").reset_index()
    long.columns = ["month", "area_code", "y"]
    long["treated"] = long["area_code"].isin(tr)
    # event time in calendar months (robust to excluded COVID months)
    rel = (long["month"].dt.year - t0.year) * 12 + (long["month"].dt.month - t0.month)
    long["post"] = (rel >= 0) & long["treated"]
    long["tindex"] = long["month"].rank(method="dense").astype(int)
    idx = long.set_index(["area_code", "tindex"])
    g = len(units)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        res = PanelOLS(
            idx["y"], idx[["post"]].astype(float), entity_effects=True, time_effects=True
        ).fit(cov_type="clustered", cluster_entity=True)
    est = float(res.params["post"])
    se = float(res.std_errors["post"])
    tcrit = float(stats.t.ppf(1 - alpha / 2, g - 1))
    pval = float(2 * stats.t.sf(abs(est / se), g - 1)) if se > 0 else float("nan")
    # event study
    if not event_study:
        es = pd.DataFrame(columns=["rel_time", "label", "estimate", "se", "ci_low", "ci_high"])
        pretrend = {
            "test": "not run (event_study=False)",
            "statistic": np.nan,
            "df": None,
            "p_value": np.nan,
            "note": "",
        }
        pre_rms = float("nan")
    else:
        relc = rel.clip(lo_w, hi_w)
        ks = [k for k in range(lo_w, hi_w + 1) if k != -1]
        ev_cols = {}
        for k in ks:
            name = f"e{k:+d}"
            ev_cols[name] = ((relc == k) & long["treated"]).astype(float).to_numpy()
        X = pd.DataFrame(ev_cols, index=idx.index)
        present = [c for c in X.columns if X[c].any()]
        X = X[present]
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            ev = PanelOLS(
                idx["y"], X, entity_effects=True, time_effects=True, drop_absorbed=True
            ).fit(cov_type="clustered", cluster_entity=True)
        rows = []
        for c in ev.params.index:
            k = int(c[1:])
            b, s = float(ev.params[c]), float(ev.std_errors[c])
            label = f"≤{k}" if k == lo_w else f"≥{k}" if k == hi_w else str(k)
            rows.append(
                {
                    "rel_time": k,
                    "label": label,
                    "estimate": b,
                    "se": s,
                    "ci_low": b - tcrit * s,
                    "ci_high": b + tcrit * s,
                }
            )
        rows.append(
            {
                "rel_time": -1,
                "label": "-1 (reference)",
                "estimate": 0.0,
                "se": 0.0,
                "ci_low": 0.0,
                "ci_high": 0.0,
            }
        )
        es = pd.DataFrame(rows).sort_values("rel_time").reset_index(drop=True)
        pre = [c for c in ev.params.index if int(c[1:]) < -1]
        if pre:
            b = ev.params[pre].to_numpy()
            v = ev.cov.loc[pre, pre].to_numpy()
            q = len(pre)
            try:
                wstat = float(b @ np.linalg.solve(v, b)) / q
                p_pre = float(stats.f.sf(wstat, q, g - 1))
            except np.linalg.LinAlgError:
                wstat, p_pre = float("nan"), float("nan")
            pretrend = {
                "test": f"joint Wald test that the {q} pre-period event-study coefficients are zero "
                "(cluster-robust), F(q, G − 1)",
                "statistic": wstat,
                "df": [q, g - 1],
                "p_value": p_pre,
                "note": "A small p-value means the areas were already diverging before the start: "
                "the parallel-trends assumption is doubtful. A large one does not prove it holds "
                "(the test may lack power; Roth 2022).",
            }
            pre_rms = float(np.sqrt(np.mean(b**2)))
        else:
            pretrend = {
                "test": "not run (no pre-period coefficients)",
                "statistic": np.nan,
                "df": None,
                "p_value": np.nan,
                "note": "",
            }
            pre_rms = float("nan")

    warn = []
    if len(tr) < 5:
        warn.append(
            f"Only {len(tr)} treated area(s): cluster-robust standard errors are unreliable with "
            "very few treated clusters (Conley and Taber 2011; MacKinnon and Webb 2017); prefer "
            "the synthetic control with placebo inference for one or two areas."
        )
    lo, hi = est - tcrit * se, est + tcrit * se
    threats = [SPILLOVER, *_covid_threat(p, t0)]
    threats.append(
        "Other changes at the same time in the treated areas (policing operations, other "
        "programmes, boundary or recording changes) would be attributed to this programme."
    )
    return ImpactResult(
        design="did",
        **_estimate(est, se, lo, hi, pval, alpha, transform),
        event_study=es,
        pretrend=pretrend,
        comparison=pd.DataFrame(
            [{"area_code": u, "weight": 1 / len(tr), "role": "treated"} for u in tr]
            + [{"area_code": u, "weight": 1 / len(ctrl), "role": "comparison"} for u in ctrl]
        ),
        pre_fit={
            "pre_months": n_pre,
            "post_months": n_post,
            "pre_event_rms": pre_rms,
            "note": "root mean square of the pre-period event-study coefficients (0 = the "
            "treated areas tracked the comparison areas exactly before the start)",
        },
        assumptions=[
            "Parallel trends: without the programme, the treated areas' outcome (on the "
            f"{'log' if transform == 'log' else 'count'} scale) would have moved like the "
            "comparison arets' average.".replace("arets", "areas"),
            "No anticipation: nothing changed in the treated areas before the start month.",
            "No spill-over onto the comparison areas (SUTVA).",
            "One start date for all treated areas and a constant effect over time in the "
            "pooled estimate (the event study shows how the effect evolves).",
        ],
        threats=threats,
        warnings=warn,
        method=(
            f"Two-way fixed-effects difference-in-differences: {len(tr)} treated and "
            f"{len(ctrl)} comparison areas, {n_pre} months before and {n_post} from "
            f"{t0:%Y-%m}, outcome {'log(count + 1)' if transform == 'log' else 'count'}; "
            "area and month fixed effects; standard errors clustered by area, "
            f"t({g - 1}) critical values; event study over months {lo_w} to {hi_w} "
            "(end points binned, month −1 the reference)."
        ),
        reference=REFERENCES["did"],
        params={
            "treated": tr,
            "start": f"{t0:%Y-%m}",
            "window": list(window),
            "alpha": alpha,
            "transform": transform,
            "exclude_covid": exclude_covid,
            "months": [f"{p.months.min():%Y-%m}", f"{p.months.max():%Y-%m}"],
        },
    )


# ----------------------------------------------------------------------------------------------
# Staggered adoption (Callaway and Sant'Anna)


def staggered_did(
    panel: pd.DataFrame,
    adoption: Mapping[str, str | pd.Timestamp],
    *,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    transform: Transform = "log",
    alpha: float = 0.05,
    exclude_covid: bool = False,
    period: tuple[str, str] | None = None,
    window: tuple[int, int] = (-12, 12),
) -> ImpactResult:
    """Callaway–Sant'Anna group-time ATTs for areas adopting at different months.

    ``adoption`` maps each treated area to its first month of delivery; every other area is
    never treated. Returns the overall (simple-weighted) ATT and the event-time ATTs.
    """
    from differences import ATTgt

    if not adoption:
        raise InputError("no adopting areas given")
    p = _prepare(
        panel,
        transform=transform,
        exclude_covid=exclude_covid,
        start=pd.Timestamp(period[0]) if period else None,
        end=pd.Timestamp(period[1]) if period else None,
    )
    tr = _check_units(list(adoption), p, "treated")
    tindex = {m: i + 1 for i, m in enumerate(p.months)}
    cohort: dict[str, float] = {}
    for u, m in adoption.items():
        mm = pd.Timestamp(m).to_period("M").to_timestamp()
        if mm not in tindex:
            raise InputError(f"start month {mm:%Y-%m} of {u} is outside the panel's months")
        if tindex[mm] <= 2:
            raise InputError(f"{u} starts in {mm:%Y-%m}: at least two months before are needed")
        cohort[str(u)] = float(tindex[mm])
    never = [u for u in p.units if u not in cohort]
    if control_group == "never_treated" and len(never) < 2:
        raise InputError("at least two never-treated areas are needed")
    long = p.wide.stack().rename("y").reset_index()
    long.columns = ["month", "area_code", "y"]
    long["time"] = long["month"].map(tindex).astype(int)
    long["cohort"] = long["area_code"].map(cohort)
    data = long.set_index(["area_code", "time"])[["y", "cohort"]]
    att = ATTgt(data=data, cohort_column="cohort")
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        att.fit(
            formula="y",
            est_method="reg",
            control_group=control_group,
            alpha=alpha,
            progress_bar=False,
        )
        simple = att.aggregate("simple", alpha=alpha)
        event = att.aggregate("event", alpha=alpha)
    s = simple.iloc[0]
    est = float(s.iloc[0])
    se = float(s.iloc[1])
    lo, hi = float(s.iloc[2]), float(s.iloc[3])
    z = est / se if se > 0 else np.nan
    pval = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")
    ev = event.copy()
    ev.columns = ["estimate", "se", "ci_low", "ci_high", "flag"]
    ev = ev.reset_index()
    ev = ev.rename(columns={ev.columns[0]: "rel_time"})
    ev["rel_time"] = ev["rel_time"].astype(int)
    ev = ev[(ev["rel_time"] >= window[0]) & (ev["rel_time"] <= window[1])]
    ev["label"] = ev["rel_time"].astype(str)
    pre = ev[ev["rel_time"] < 0]
    if not pre.empty and (pre["se"] > 0).all():
        pts = 2 * stats.norm.sf(np.abs(pre["estimate"] / pre["se"]))
        p_pre = float(min(1.0, len(pre) * pts.min()))
        pretrend = {
            "test": f"smallest pointwise p-value of {len(pre)} pre-period event-time ATTs, "
            "Bonferroni-adjusted (conservative: the library reports no joint covariance)",
            "statistic": float(np.abs(pre["estimate"] / pre["se"]).max()),
            "df": None,
            "p_value": p_pre,
            "note": "Pre-period ATTs compare consecutive months (varying base period); a small "
            "p-value means adopters were already diverging from the comparison areas.",
        }
        pre_rms = float(np.sqrt(np.mean(pre["estimate"] ** 2)))
    else:
        pretrend = {
            "test": "not run",
            "statistic": np.nan,
            "df": None,
            "p_value": np.nan,
            "note": "",
        }
        pre_rms = float("nan")
    first = min(pd.Timestamp(m) for m in adoption.values())
    cohorts = sorted({pd.Timestamp(m).to_period("M").to_timestamp() for m in adoption.values()})
    return ImpactResult(
        design="staggered",
        **_estimate(est, se, lo, hi, pval, alpha, transform),
        event_study=ev[["rel_time", "label", "estimate", "se", "ci_low", "ci_high"]].reset_index(
            drop=True
        ),
        pretrend=pretrend,
        comparison=pd.DataFrame(
            [
                {
                    "area_code": u,
                    "weight": np.nan,
                    "role": f"treated from {pd.Timestamp(adoption[u]):%Y-%m}",
                }
                for u in tr
            ]
            + [
                {
                    "area_code": u,
                    "weight": 1 / len(never) if never else np.nan,
                    "role": "never treated",
                }
                for u in never
            ]
        ),
        pre_fit={"cohorts": len(cohorts), "pre_event_rms": pre_rms, "months": len(p.months)},
        assumptions=[
            "Parallel trends conditional on adoption cohort: each cohort would have moved like "
            f"the {'never-treated' if control_group == 'never_treated' else 'not-yet-treated'} areas.",
            "No anticipation before each area's start month.",
            "Irreversible treatment (an area stays treated once it starts).",
            "No spill-over onto the comparison areas.",
        ],
        threats=[SPILLOVER, *_covid_threat(p, first)],
        warnings=[]
        if len(tr) >= 5
        else [f"Only {len(tr)} adopting area(s): the interval relies on few clusters."],
        method=(
            f"Callaway–Sant'Anna group-time ATTs (outcome regression, {control_group.replace('_', '-')} "
            f"comparison, varying base period) for {len(tr)} areas in {len(cohorts)} adoption "
            f"cohort(s), aggregated with group-size weights; {1 - alpha:.0%} pointwise intervals."
        ),
        reference=REFERENCES["staggered"],
        params={
            "adoption": {u: f"{pd.Timestamp(m):%Y-%m}" for u, m in adoption.items()},
            "control_group": control_group,
            "alpha": alpha,
            "transform": transform,
            "exclude_covid": exclude_covid,
        },
    )


# ----------------------------------------------------------------------------------------------
# Synthetic control with placebo-in-space inference


def _synth_fit(z_pre: np.ndarray, y_pre: np.ndarray) -> np.ndarray:
    """Donor weights from pysyncon (V = identity over the pre-period outcome path)."""
    from pysyncon import Synth

    x0 = pd.DataFrame(z_pre, columns=[f"d{i}" for i in range(z_pre.shape[1])])
    x1 = pd.Series(y_pre, name="treated")
    s = Synth()
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        s.fit(X0=x0, X1=x1, Z0=x0, Z1=x1, custom_V=np.ones(len(y_pre)))
    w = np.asarray(s.W, dtype=float)
    return w


def synthetic_control(
    panel: pd.DataFrame,
    treated: str,
    start: str | pd.Timestamp,
    *,
    donors: Sequence[str] | None = None,
    transform: Transform = "log",
    alpha: float = 0.05,
    exclude_covid: bool = False,
    period: tuple[str, str] | None = None,
    placebo_fit_ratio: float = 5.0,
) -> ImpactResult:
    """Synthetic control for one treated area, with placebo-in-space inference.

    Parameters
    ----------
    panel : DataFrame
        ``area_code, month, count`` (balanced).
    treated : str
        The treated area.
    start : month
        First month of delivery.
    donors : sequence of str, optional
        Donor pool (default every other area).
    placebo_fit_ratio : float
        Placebos whose pre-period RMSPE exceeds this multiple of the treated area's are left out
        of the confidence interval (Abadie et al. 2010); all enter the p-value (RMSPE ratio).
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1 (got {alpha!r})")
    t0 = pd.Timestamp(start).to_period("M").to_timestamp()
    p = _prepare(
        panel,
        transform=transform,
        exclude_covid=exclude_covid,
        start=pd.Timestamp(period[0]) if period else None,
        end=pd.Timestamp(period[1]) if period else None,
    )
    (tr,) = _check_units([treated], p, "treated")
    pool = (
        _check_units(donors, p, "donor") if donors is not None else [u for u in p.units if u != tr]
    )
    if tr in pool:
        raise InputError("the treated area cannot be its own donor")
    if len(pool) < 5:
        raise InputError("at least five donor areas are needed for placebo inference")
    pre = p.months < t0
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    if n_pre < 6 or n_post < 1:
        raise InputError(
            f"need at least 6 months before and 1 from {t0:%Y-%m} (have {n_pre}, {n_post})"
        )
    Y = p.wide

    def run(unit: str, others: list[str]) -> tuple[np.ndarray, np.ndarray]:
        z = Y[others].to_numpy()
        y = Y[unit].to_numpy()
        w = _synth_fit(z[pre], y[pre])
        return y - z @ w, w

    gap, w = run(tr, pool)

    def rmspe(g: np.ndarray, mask: np.ndarray) -> float:
        return float(np.sqrt(np.mean(g[mask] ** 2)))

    tau = float(gap[~pre].mean())
    pre_rmspe = rmspe(gap, pre)
    ratios = {tr: rmspe(gap, ~pre) / max(pre_rmspe, 1e-12)}
    placebo_tau: dict[str, float] = {}
    placebo_pre: dict[str, float] = {}
    placebo_gaps = {}
    for u in pool:
        g_u, _ = run(u, [v for v in pool if v != u])
        placebo_gaps[u] = g_u
        placebo_tau[u] = float(g_u[~pre].mean())
        placebo_pre[u] = rmspe(g_u, pre)
        ratios[u] = rmspe(g_u, ~pre) / max(placebo_pre[u], 1e-12)
    r_tr = ratios[tr]
    pval = sum(1 for v in ratios.values() if v >= r_tr) / len(ratios)
    good = [u for u in pool if placebo_pre[u] <= placebo_fit_ratio * pre_rmspe]
    taus = np.array([placebo_tau[u] for u in good])
    warn = []
    if len(good) < 19:
        warn.append(
            f"Only {len(good)} placebo(s) fit the pre-period within {placebo_fit_ratio:g} × the "
            f"treated area's RMSPE: the {1 - alpha:.0%} interval cannot be finer than 1/{len(good) + 1}."
        )
    if len(taus) >= 2:
        q_lo, q_hi = np.quantile(taus, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
        lo, hi = tau - float(q_hi), tau - float(q_lo)
    else:
        lo, hi = float("nan"), float("nan")
        warn.append("Too few well-fitting placebos for a confidence interval.")
    pool_mean_pre = float(
        np.mean(np.abs(Y[tr].to_numpy()[pre] - Y[pool].to_numpy()[pre].mean(axis=1)))
    )
    months_rel = (p.months.year - t0.year) * 12 + (p.months.month - t0.month)
    band = np.array([placebo_gaps[u] for u in good]) if good else np.empty((0, len(gap)))
    es = pd.DataFrame(
        {
            "rel_time": np.asarray(months_rel),
            "label": [f"{m:%Y-%m}" for m in p.months],
            "estimate": gap,
            "se": np.nan,
            "ci_low": np.quantile(band, alpha / 2, axis=0) if len(band) else np.nan,
            "ci_high": np.quantile(band, 1 - alpha / 2, axis=0) if len(band) else np.nan,
        }
    )
    weights = pd.DataFrame({"area_code": pool, "weight": w, "role": "donor"})
    weights = pd.concat(
        [
            pd.DataFrame([{"area_code": tr, "weight": 1.0, "role": "treated"}]),
            weights.sort_values("weight", ascending=False),
        ],
        ignore_index=True,
    )
    if pre_rmspe > 0.5 * pool_mean_pre:
        warn.append(
            "The synthetic control tracks the treated area little better than the simple donor "
            "average before the start: the estimate is not credible (poor pre-period fit)."
        )
    return ImpactResult(
        design="scm",
        **_estimate(tau, float("nan"), lo, hi, float(pval), alpha, transform),
        event_study=es,
        pretrend={
            "test": "pre-period RMSPE of the synthetic control against the donor-average "
            "baseline (no formal test; judge the fit)",
            "statistic": pre_rmspe,
            "df": None,
            "p_value": float("nan"),
            "note": f"Donor-average mean absolute pre-period gap: {pool_mean_pre:.4f}.",
        },
        comparison=weights,
        pre_fit={
            "pre_months": n_pre,
            "post_months": n_post,
            "pre_rmspe": pre_rmspe,
            "post_pre_rmspe_ratio": r_tr,
            "placebos": len(pool),
            "placebos_in_interval": len(good),
        },
        assumptions=[
            "The treated area's untreated outcome is a weighted average of donor areas' "
            "outcomes (a convex combination that fits the pre-period path).",
            "No programme, shock or spill-over in the donor areas after the start.",
            "Exchangeability for inference: the treated area could have been any donor.",
        ],
        threats=[SPILLOVER, *_covid_threat(p, t0)],
        warnings=warn,
        method=(
            f"Synthetic control of {tr} from {len(pool)} donors fitted to {n_pre} pre-period "
            f"months of {'log(count + 1)' if transform == 'log' else 'counts'}; effect = mean "
            f"post-period gap over {n_post} months. Placebo in space: p-value = rank of the "
            f"post/pre RMSPE ratio among {len(ratios)} areas; {1 - alpha:.0%} interval from the "
            f"placebo distribution of mean gaps ({len(good)} placebos with pre-RMSPE ≤ "
            f"{placebo_fit_ratio:g} × the treated area's)."
        ),
        reference=REFERENCES["scm"],
        params={
            "treated": tr,
            "start": f"{t0:%Y-%m}",
            "alpha": alpha,
            "transform": transform,
            "exclude_covid": exclude_covid,
            "placebo_fit_ratio": placebo_fit_ratio,
        },
    )


def inject_effect(
    panel: pd.DataFrame,
    units: Sequence[str],
    start: str | pd.Timestamp,
    effect: float,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """A copy of ``panel`` with counts of ``units`` from ``start`` scaled by ``1 + effect``.

    Reductions (``effect < 0``) thin each count binomially (each offence kept with probability
    ``1 + effect``); increases add Poisson counts with mean ``effect × count``. The true effect
    on the log scale is ≈ ``log(1 + effect)``. For testing estimators on real series.
    """
    if not effect > -1:
        raise InputError(f"effect must be > −1 (got {effect!r})")
    rng = np.random.default_rng(seed)
    out = panel.copy()
    m = pd.to_datetime(out["month"]) >= pd.Timestamp(start)
    sel = out["area_code"].isin(list(units)) & m
    c = out.loc[sel, "count"].to_numpy(dtype=np.int64)
    new = rng.binomial(c, 1 + effect) if effect < 0 else c + rng.poisson(effect * c)
    out.loc[sel, "count"] = new
    return out
