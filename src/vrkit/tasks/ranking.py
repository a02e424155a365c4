"""The data tool: rank areas for an intervention profile; profiles and indicators."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.catalog.indicators import builtin_indicators
from vrkit.catalog.profiles import Profile, check_specs, check_weight, load_profile, profile_names
from vrkit.disclosure.linked import check_rule
from vrkit.errors import InputError
from vrkit.outputs import output_folder
from vrkit.reports.build.need_index import FORMATS, NeedIndexReport, build_need_index_report
from vrkit.reports.render.need_index import write_need_index
from vrkit.sources.base import sha256_file
from vrkit.sources.indicators import read_user_indicator
from vrkit.store.indicator_queries import area_codes, indicator_catalogue
from vrkit.store.warehouse import IngestResult, Warehouse
from vrkit.tasks._result import Listing, TaskResult, check_formats

GEOGRAPHIES = ("lsoa", "ward", "borough")
MISSING = ("auto", "reweight", "exclude", "impute_parent", "error")


@dataclass
class RankResult(TaskResult):
    """A ranking of areas for a profile (``vrkit rank``).

    ``report``: the :class:`~vrkit.reports.build.need_index.NeedIndexReport` (ranked table,
    index, rank intervals, sensitivity; public edition when asked).
    """

    report: NeedIndexReport

    FORMATS = FORMATS

    @property
    def table(self) -> pd.DataFrame:
        """The ranked table."""
        return self.report.table

    def to_frame(self) -> pd.DataFrame:
        """The ranked table (``area_code, area_name, rank, score, rank_low, rank_high,
        p_top_n, indicators_used, contrib_…``)."""
        return self.report.table

    def to_dict(self) -> dict[str, Any]:
        """Profile, parameters, disclosure record and the ranked rows."""
        from vrkit._json import jsonable

        r = self.report
        return jsonable(
            {
                "profile": r.profile.profile_id,
                "profile_version": r.profile.version,
                "geography": r.geography,
                "top_n": r.top_n,
                "params": r.params,
                "public": r.public,
                "disclosure_control": r.disclosure,
                "ranking": r.table.to_dict("records"),
            },
            whole_floats_as_int=False,
        )

    def file_names(self, formats: Sequence[str] = FORMATS) -> list[str]:
        """The files :meth:`write` writes."""
        stem = f"need_index_{self.report.profile.profile_id}_{self.report.geography}"
        return [f"{stem}.{f}" for f in formats]

    def write(  # type: ignore[override]
        self, out_dir: str | Path, formats: Sequence[str] = FORMATS, *, force: bool = False
    ) -> list[Path]:
        """Write the ranked table and report files into ``out_dir`` (created)."""
        fmts = check_formats(formats, FORMATS)
        output_folder(out_dir, self.file_names(fmts), force=force)
        return write_need_index(self.report, out_dir, formats=fmts)


def rank(
    wh: Warehouse,
    profile: str | Path,
    *,
    geography: str = "ward",
    top: int = 20,
    normalisation: str | None = None,
    aggregation: str | None = None,
    missing: str = "auto",
    smoothing: str = "spatial",
    denominator: str = "residents",
    crime_year: int | None = None,
    draws: int = 1000,
    spread: float = 0.25,
    bootstrap: bool = True,
    seed: int = 0,
    public: bool = False,
    sdc_rule: str = "lt10",
    weights: Mapping[str, float] | None = None,
) -> RankResult:
    """Rank the areas of a geography for an intervention profile, with reasons and uncertainty.

    Parameters
    ----------
    profile : str or Path
        A built-in profile name (``vrkit rank profiles``) or a profile TOML file; user
        indicators loaded in the warehouse may be named in it.
    geography : {"lsoa", "ward", "borough"}
    top : int
        N of "top N" (the table and P(top N)).
    normalisation, aggregation : str, optional
        Default the profile's.
    missing : {"auto", "reweight", "exclude", "impute_parent", "error"}
        Explicit missing-data policy (never read as zero); ``auto`` imputes heavily weighted
        indicators from the borough, flagged.
    smoothing : {"spatial", "global", "none"}
        Crime rates: spatial or global empirical Bayes, or crude.
    denominator : {"residents", "workday"}
        Crime rates per 1,000 residents or per 1,000 workday population.
    crime_year : int, optional
        Year of the crime counts (default the latest complete).
    draws : int
        Monte Carlo draws of the rank intervals.
    spread : float
        Weight perturbation, ± share.
    bootstrap : bool
        Also redraw crime rates with their Poisson error.
    seed : int
    public : bool
        Disclosure-controlled edition (crime rates of small counts protected).
    sdc_rule : {"lt10", "nhs"}
    weights : mapping, optional
        Indicator id → weight (≥ 0) replacing the profile's weight of that indicator (the
        others keep theirs; domain weights are unchanged). An id the profile does not use is
        refused. The weights used are recorded in the result's ``params``.
    """
    if geography not in GEOGRAPHIES:
        raise InputError(f"unknown geography {geography!r}", hint=f"Use {', '.join(GEOGRAPHIES)}.")
    if missing not in MISSING:
        raise InputError(
            f"unknown missing-data policy {missing!r}", hint=f"Use {', '.join(MISSING)}."
        )
    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}")
    if draws < 1:
        raise InputError(f"--draws must be at least 1, got {draws}")
    if public:
        check_rule(sdc_rule)
    loaded = indicator_catalogue(wh)
    prof = load_profile(
        profile, extra=dict(zip(loaded["indicator_id"], loaded["polarity"], strict=True))
    )
    if weights:
        prof = with_weights(prof, weights)
    report = build_need_index_report(
        wh,
        prof,
        geography=geography,
        top_n=top,
        normalisation=normalisation,
        aggregation=aggregation,
        missing=missing,
        n_draws=draws,
        spread=spread,
        bootstrap=bootstrap,
        seed=seed,
        public=public,
        sdc_rule=sdc_rule,
        smoothing=smoothing,
        crime_year=crime_year,
        denominator=denominator,
    )
    if weights:
        report.params["weights"] = {s.indicator_id: s.weight for s in prof.indicators}
    return RankResult(report)


def with_weights(profile: Profile, weights: Mapping[str, float]) -> Profile:
    """``profile`` with the weights of some of its indicators replaced (validated)."""
    unknown = sorted(set(weights) - set(profile.indicator_ids))
    if unknown:
        raise InputError(
            f"profile {profile.profile_id!r} has no indicator {unknown[0]!r}",
            hint=f"Its indicators: {', '.join(profile.indicator_ids)}.",
        )
    for iid, w in weights.items():
        check_weight(w, f"weight of indicator {iid!r}")
    specs = tuple(
        dataclasses.replace(s, weight=float(weights[s.indicator_id]))
        if s.indicator_id in weights
        else s
        for s in profile.indicators
    )
    check_specs(specs)
    return dataclasses.replace(profile, indicators=specs)


def parse_weights(text: str | None) -> dict[str, float]:
    """``"id=w,id=w"`` (the ``--weights`` option) → {id: w}; a clear error otherwise."""
    out: dict[str, float] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        iid, sep, value = item.partition("=")
        try:
            w = float(value)
        except ValueError:
            w = float("nan")
        if not sep or not iid.strip() or w != w:
            raise InputError(
                f"weights: {item!r} is not indicator=weight",
                hint="e.g. crime_violence_with_injury_rate=3,imd2019_score=0.5",
            )
        out[iid.strip()] = w
    return out


def profiles() -> Listing:
    """The built-in intervention profiles: ``profile, version, name, indicators``."""
    rows = []
    for n in profile_names():
        p = load_profile(n)
        rows.append((n, p.version, p.name, ", ".join(p.indicator_ids)))
    return Listing(
        "Intervention profiles",
        pd.DataFrame(rows, columns=["profile", "version", "name", "indicators"]),
    )


def indicators(wh: Warehouse | None = None) -> Listing:
    """Built-in indicators and, with a warehouse, those loaded in it (user indicators too):
    ``indicator_id, name, unit, polarity, origin, areas_loaded`` (``areas_loaded`` is None for
    derived indicators, computed when an index is built)."""
    cat = builtin_indicators()
    loaded: dict[str, int] = {}
    meta: dict[str, tuple[str, str, str]] = {}
    if wh is not None:
        lc = indicator_catalogue(wh)
        loaded = dict(zip(lc["indicator_id"], lc["areas"], strict=True))
        meta = {
            str(r.indicator_id): (str(r.name or ""), str(r.unit or ""), str(r.polarity or ""))
            for r in lc.itertuples()
        }
    rows = [
        (
            r.indicator_id,
            r.name,
            r.unit,
            r.polarity,
            r.origin,
            None if r.origin == "derived" else loaded.get(r.indicator_id, 0),
        )
        for r in cat.itertuples()
    ]
    known = set(cat["indicator_id"])
    rows += [
        (iid, *meta.get(iid, ("", "", "")), "user", n)
        for iid, n in loaded.items()
        if iid not in known
    ]
    cols = ["indicator_id", "name", "unit", "polarity", "origin", "areas_loaded"]
    return Listing("Indicators", pd.DataFrame(rows, columns=cols))


def add_indicator(
    wh: Warehouse,
    path: str | Path,
    *,
    indicator_id: str,
    name: str,
    polarity: str,
    unit: str,
    year: int | None = None,
    period: tuple[date, date] | None = None,
    source: str | None = None,
    description: str = "",
) -> IngestResult:
    """Validate a user's indicator file against the warehouse's areas and load it atomically.

    Codes are checked against the ``area`` table when it has rows (else by GSS pattern).
    Re-loading the same file with the same indicator id changes nothing; a changed file
    replaces the indicator's values for the areas and periods it covers.

    Parameters
    ----------
    path : path
        CSV or XLSX with ``area_code, value[, period]``.
    year : int, optional
        Calendar year of every value, when the file has no ``period`` column.
    period : (date, date), optional
        The period of every value instead of ``year``.
    """
    p = Path(path)
    codes = area_codes(wh)
    known = set(codes) if codes else None
    if year is not None:
        period = (date(year, 1, 1), date(year, 12, 31))
    frames = read_user_indicator(
        p,
        indicator_id=indicator_id,
        name=name,
        polarity=polarity,
        unit=unit,
        source=source,
        description=description,
        period=period,
        known_areas=known,
    )
    sha = hashlib.sha256(f"{sha256_file(p)}|{indicator_id}".encode()).hexdigest()
    existing = wh.dataset_with_sha("user_indicator", sha)
    if existing is not None:
        return IngestResult(p, "user_indicator", existing, "unchanged", None)
    dataset_id = wh.load(frames, sha256=sha)
    return IngestResult(p, "user_indicator", dataset_id, "loaded", frames.report)
