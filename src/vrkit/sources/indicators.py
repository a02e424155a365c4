"""Area indicators for the need index (issue #5): GLA ward profiles and user-supplied indicators.

Formats
-------
``ward_profiles``
    GLA "Ward Profiles and Atlas" (London Datastore), ``ward-profiles-excel-version.csv``:
    Windows-1252 text (it contains "£"), 660 rows × 67 columns: 624 wards on 2014 boundaries
    (``E05…``), the City of London as one area (``E09000001``, listed twice with identical
    values), the 33 boroughs (``E09…``), London (``E12000007``) and England (``E92000001``).
    Each numeric column becomes one indicator (:data:`WARD_PROFILE_COLUMNS`: id, name, unit,
    polarity, period). ``n/a`` cells are missing and get no row (missing, not zero); they are
    counted per indicator in the report. Borough, London and England rows are kept: they are
    the parent values used by ``missing="impute_parent"``.
User indicator files (not auto-detected)
    Any CSV/XLSX with columns ``area_code, value[, period]``. Such a file has no distinctive
    header, so it is read with :func:`read_user_indicator` (naming the indicator) and loaded
    with :func:`ingest_user_indicator`.

Both are aggregate files: the first bad cell refuses the whole file and nothing is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.base import (
    LoadReport,
    Probe,
    SourceAdapter,
    SourceFrames,
    read_csv_strict,
    require_columns,
    sha256_file,
)
from vrkit.sources.files import check_workbook

if TYPE_CHECKING:
    from vrkit.store.warehouse import IngestResult, Warehouse

SOURCE_WARD_PROFILES = "GLA Ward Profiles and Atlas (London Datastore), ward-profiles-excel-version"
POLARITIES = ("higher_is_worse", "higher_is_better", "neutral")
INDICATOR_COLUMNS = ["indicator_id", "name", "unit", "polarity", "source", "description"]
VALUE_COLUMNS = ["area_code", "indicator_id", "period_start", "period_end", "value"]
#: GSS code of any area vrkit knows by pattern (LSOA/MSOA/ward/LAD/region/country, E&W).
GSS_CODE = re.compile(r"^(?:[EW]0[1-9]|E1[0-2]|E92|W92|K0[2-4])\d{6}$")


@dataclass(frozen=True)
class WardProfileColumn:
    """How one ward-profiles column maps to an indicator."""

    header: str
    indicator_id: str
    name: str
    unit: str
    polarity: str
    period_start: date
    period_end: date


def _y(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y, 12, 31)


def _fy(y: int) -> tuple[date, date]:
    """Financial year starting April ``y``."""
    return date(y, 4, 1), date(y + 1, 3, 31)


def _ay(y0: int, y1: int) -> tuple[date, date]:
    """School (academic) years from September ``y0`` to August ``y1``."""
    return date(y0, 9, 1), date(y1, 8, 31)


def _c(
    header: str, iid: str, name: str, unit: str, pol: str, period: tuple[date, date]
) -> WardProfileColumn:
    return WardProfileColumn(header, iid, name, unit, pol, period[0], period[1])


W, B, N = "higher_is_worse", "higher_is_better", "neutral"
PCT, PER1K = "%", "per 1,000 population"

#: The 64 numeric columns of the ward profiles (header → indicator).
WARD_PROFILE_COLUMNS: tuple[WardProfileColumn, ...] = (
    _c("Population - 2015", "wp_population_2015", "Population (mid-2015)", "persons", N, _y(2015)),
    _c(
        "Children aged 0-15 - 2015",
        "wp_children_0_15_2015",
        "Children aged 0-15 (2015)",
        "persons",
        N,
        _y(2015),
    ),
    _c(
        "Working-age (16-64) - 2015",
        "wp_working_age_2015",
        "Working-age residents 16-64 (2015)",
        "persons",
        N,
        _y(2015),
    ),
    _c(
        "Older people aged 65+ - 2015",
        "wp_older_65_2015",
        "Residents aged 65+ (2015)",
        "persons",
        N,
        _y(2015),
    ),
    _c(
        "% All Children aged 0-15 - 2015",
        "wp_pct_children_0_15_2015",
        "% of residents aged 0-15 (2015)",
        PCT,
        N,
        _y(2015),
    ),
    _c(
        "% All Working-age (16-64) - 2015",
        "wp_pct_working_age_2015",
        "% of residents aged 16-64 (2015)",
        PCT,
        N,
        _y(2015),
    ),
    _c(
        "% All Older people aged 65+ - 2015",
        "wp_pct_older_65_2015",
        "% of residents aged 65+ (2015)",
        PCT,
        N,
        _y(2015),
    ),
    _c("Mean Age - 2013", "wp_mean_age_2013", "Mean age (2013)", "years", N, _y(2013)),
    _c("Median Age - 2013", "wp_median_age_2013", "Median age (2013)", "years", N, _y(2013)),
    _c("Area - Square Kilometres", "wp_area_km2", "Area", "km²", N, _y(2015)),
    _c(
        "Population density (persons per sq km) - 2013",
        "wp_population_density_2013",
        "Population density (2013)",
        "persons per km²",
        N,
        _y(2013),
    ),
    _c(
        "% BAME - 2011",
        "wp_pct_bame_2011",
        "% Black, Asian and minority ethnic (Census 2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% Not Born in UK - 2011",
        "wp_pct_not_born_uk_2011",
        "% not born in the UK (Census 2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% English is First Language of no one in household - 2011",
        "wp_pct_no_english_household_2011",
        "% households where no one has English as first language (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "General Fertility Rate - 2013",
        "wp_general_fertility_rate_2013",
        "General fertility rate (2013)",
        "births per 1,000 women 15-44",
        N,
        _y(2013),
    ),
    _c(
        "Male life expectancy -2009-13",
        "wp_male_life_expectancy_2009_13",
        "Male life expectancy at birth (2009-13)",
        "years",
        B,
        (date(2009, 1, 1), date(2013, 12, 31)),
    ),
    _c(
        "Female life expectancy -2009-13",
        "wp_female_life_expectancy_2009_13",
        "Female life expectancy at birth (2009-13)",
        "years",
        B,
        (date(2009, 1, 1), date(2013, 12, 31)),
    ),
    _c(
        "% children in reception year who are obese - 2011/12 to 2013/14",
        "wp_pct_obese_reception_2011_14",
        "% of reception-year children who are obese (2011/12-2013/14)",
        PCT,
        W,
        _ay(2011, 2014),
    ),
    _c(
        "% children in year 6 who are obese- 2011/12 to 2013/14",
        "wp_pct_obese_year6_2011_14",
        "% of year-6 children who are obese (2011/12-2013/14)",
        PCT,
        W,
        _ay(2011, 2014),
    ),
    _c(
        "Rate of All Ambulance Incidents per 1,000 population - 2014",
        "wp_ambulance_incidents_rate_2014",
        "Ambulance incidents per 1,000 population (2014)",
        PER1K,
        W,
        _y(2014),
    ),
    _c(
        "Rates of ambulance call outs for alcohol related illness - 2014",
        "wp_ambulance_alcohol_rate_2014",
        "Ambulance call-outs for alcohol-related illness per 1,000 population (2014)",
        PER1K,
        W,
        _y(2014),
    ),
    _c(
        "Number Killed or Seriously Injured on the roads - 2014",
        "wp_ksi_roads_2014",
        "People killed or seriously injured on the roads (2014)",
        "count",
        W,
        _y(2014),
    ),
    _c(
        "In employment (16-64) - 2011",
        "wp_in_employment_2011",
        "Residents 16-64 in employment (2011)",
        "persons",
        N,
        _y(2011),
    ),
    _c(
        "Employment rate (16-64) - 2011",
        "wp_employment_rate_2011",
        "Employment rate 16-64 (2011)",
        PCT,
        B,
        _y(2011),
    ),
    _c(
        "Number of jobs in area - 2013",
        "wp_jobs_2013",
        "Jobs in the area (2013)",
        "count",
        N,
        _y(2013),
    ),
    _c(
        "Employment per head of resident WA population - 2013",
        "wp_jobs_per_working_age_2013",
        "Jobs per working-age resident (2013)",
        "ratio",
        N,
        _y(2013),
    ),
    _c(
        "Rate of new registrations of migrant workers - 2011/12",
        "wp_migrant_worker_registrations_2011_12",
        "New migrant worker registrations per 1,000 working-age residents (2011/12)",
        "per 1,000 working-age population",
        N,
        _fy(2011),
    ),
    _c(
        "Median House Price (£) - 2014",
        "wp_median_house_price_2014",
        "Median house price (2014)",
        "£",
        N,
        _y(2014),
    ),
    _c(
        "Number of properties sold - 2014",
        "wp_properties_sold_2014",
        "Properties sold (2014)",
        "count",
        N,
        _y(2014),
    ),
    _c(
        "Median Household income estimate (2012/13)",
        "wp_median_household_income_2012_13",
        "Median household income estimate (2012/13)",
        "£",
        B,
        _fy(2012),
    ),
    _c(
        "Number of Household spaces - 2011",
        "wp_household_spaces_2011",
        "Household spaces (2011)",
        "count",
        N,
        _y(2011),
    ),
    _c(
        "% detached houses - 2011",
        "wp_pct_detached_2011",
        "% detached houses (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% semi-detached houses - 2011",
        "wp_pct_semi_detached_2011",
        "% semi-detached houses (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% terraced houses - 2011",
        "wp_pct_terraced_2011",
        "% terraced houses (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% Flat, maisonette or apartment - 2011",
        "wp_pct_flats_2011",
        "% flats, maisonettes or apartments (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% Households Owned - 2011",
        "wp_pct_owned_2011",
        "% households owner-occupied (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% Households Social Rented - 2011",
        "wp_pct_social_rented_2011",
        "% households social rented (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% Households Private Rented - 2011",
        "wp_pct_private_rented_2011",
        "% households private rented (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "% dwellings in council tax bands A or B - 2015",
        "wp_pct_council_tax_ab_2015",
        "% dwellings in council tax bands A-B (2015)",
        PCT,
        N,
        _y(2015),
    ),
    _c(
        "% dwellings in council tax bands C, D or E - 2015",
        "wp_pct_council_tax_cde_2015",
        "% dwellings in council tax bands C-E (2015)",
        PCT,
        N,
        _y(2015),
    ),
    _c(
        "% dwellings in council tax bands F, G or H - 2015",
        "wp_pct_council_tax_fgh_2015",
        "% dwellings in council tax bands F-H (2015)",
        PCT,
        N,
        _y(2015),
    ),
    _c(
        "Claimant rate of key out-of-work benefits (working age client group) (2014)",
        "wp_out_of_work_benefit_rate_2014",
        "Key out-of-work benefit claimant rate (2014)",
        PCT,
        W,
        _y(2014),
    ),
    _c(
        "Claimant Rate of Housing Benefit (2015)",
        "wp_housing_benefit_rate_2015",
        "Housing Benefit claimant rate (2015)",
        PCT,
        W,
        _y(2015),
    ),
    _c(
        "Claimant Rate of Employment Support Allowance - 2014",
        "wp_esa_rate_2014",
        "Employment and Support Allowance claimant rate (2014)",
        PCT,
        W,
        _y(2014),
    ),
    _c(
        "Rate of JobSeekers Allowance (JSA) Claimants - 2015",
        "wp_jsa_rate_2015",
        "Jobseeker's Allowance claimant rate (2015)",
        PCT,
        W,
        _y(2015),
    ),
    _c(
        "% dependent children (0-18) in out-of-work households - 2014",
        "wp_pct_children_out_of_work_households_2014",
        "% dependent children in out-of-work households (2014)",
        PCT,
        W,
        _y(2014),
    ),
    _c(
        "% of households with no adults in employment with dependent children - 2011",
        "wp_pct_workless_households_with_children_2011",
        "% households with dependent children and no adult in employment (2011)",
        PCT,
        W,
        _y(2011),
    ),
    _c(
        "% of lone parents not in employment - 2011",
        "wp_pct_lone_parents_not_employed_2011",
        "% of lone parents not in employment (2011)",
        PCT,
        W,
        _y(2011),
    ),
    _c(
        "(ID2010) - Rank of average score (within London) - 2010",
        "wp_id2010_london_rank_2010",
        "ID2010 rank of average score within London (1 = most deprived)",
        "rank",
        B,
        _y(2010),
    ),
    _c(
        "(ID2010) % of LSOAs in worst 50% nationally - 2010",
        "wp_id2010_pct_lsoas_worst_50pct_2010",
        "ID2010 % of LSOAs in the most deprived 50 % nationally",
        PCT,
        W,
        _y(2010),
    ),
    _c(
        "Average GCSE capped point scores - 2014",
        "wp_gcse_capped_points_2014",
        "Average GCSE capped point score (2014)",
        "points",
        B,
        _ay(2013, 2014),
    ),
    _c(
        "Unauthorised Absence in All Schools (%) - 2013",
        "wp_unauthorised_absence_2013",
        "Unauthorised absence, all schools (2013)",
        PCT,
        W,
        _ay(2012, 2013),
    ),
    _c(
        "% with no qualifications - 2011",
        "wp_pct_no_qualifications_2011",
        "% of residents with no qualifications (2011)",
        PCT,
        W,
        _y(2011),
    ),
    _c(
        "% with Level 4 qualifications and above - 2011",
        "wp_pct_level4_qualifications_2011",
        "% of residents with Level 4+ qualifications (2011)",
        PCT,
        B,
        _y(2011),
    ),
    _c(
        "A-Level Average Point Score Per Student - 2013/14",
        "wp_alevel_points_per_student_2013_14",
        "A-level average point score per student (2013/14)",
        "points",
        B,
        _ay(2013, 2014),
    ),
    _c(
        "A-Level Average Point Score Per Entry; 2013/14",
        "wp_alevel_points_per_entry_2013_14",
        "A-level average point score per entry (2013/14)",
        "points",
        B,
        _ay(2013, 2014),
    ),
    _c(
        "Crime rate - 2014/15", "wp_crime_rate_2014_15", "Crime rate (2014/15)", PER1K, W, _fy(2014)
    ),
    _c(
        "Violence against the person rate - 2014/15",
        "wp_vap_rate_2014_15",
        "Violence against the person rate (2014/15)",
        PER1K,
        W,
        _fy(2014),
    ),
    _c(
        "Deliberate Fires per 1,000 population - 2014",
        "wp_deliberate_fires_rate_2014",
        "Deliberate fires per 1,000 population (2014)",
        PER1K,
        W,
        _y(2014),
    ),
    _c(
        "% area that is open space - 2014",
        "wp_pct_open_space_2014",
        "% of area that is open space (2014)",
        PCT,
        N,
        _y(2014),
    ),
    _c(
        "Cars per household - 2011",
        "wp_cars_per_household_2011",
        "Cars per household (2011)",
        "ratio",
        N,
        _y(2011),
    ),
    _c(
        "Average Public Transport Accessibility score - 2014",
        "wp_ptal_2014",
        "Average public transport accessibility score (2014)",
        "score",
        N,
        _y(2014),
    ),
    _c(
        "% travel by bicycle to work - 2011",
        "wp_pct_cycle_to_work_2011",
        "% travelling to work by bicycle (2011)",
        PCT,
        N,
        _y(2011),
    ),
    _c(
        "Turnout at Mayoral election - 2012",
        "wp_mayoral_turnout_2012",
        "Turnout at the 2012 Mayoral election",
        PCT,
        N,
        _y(2012),
    ),
)
_WP_ID_COLS = ("Ward name", "Old code", "New code")
_MISSING_TOKENS = frozenset({"n/a", ""})


def _norm_header(h: str) -> str:
    return " ".join(h.split())


def ward_profile_definitions() -> pd.DataFrame:
    """``indicator`` rows (plus ``period_start, period_end``) of the ward-profile indicators."""
    return pd.DataFrame(
        [
            (
                c.indicator_id,
                c.name,
                c.unit,
                c.polarity,
                SOURCE_WARD_PROFILES,
                f"{c.name}. GLA ward profiles column '{c.header}'. Wards on 2014 boundaries; the "
                "City of London is one area.",
                c.period_start,
                c.period_end,
            )
            for c in WARD_PROFILE_COLUMNS
        ],
        columns=[*INDICATOR_COLUMNS, "period_start", "period_end"],
    )


class WardProfilesAdapter(SourceAdapter):
    """GLA ward profiles CSV (cp1252) → ``indicator`` and ``indicator_value`` rows."""

    kind = "ward_profiles"
    description = (
        "GLA Ward Profiles and Atlas CSV (cp1252; Ward name, Old code, New code, …): 64 ward "
        "indicators 2009-2015 for London wards (2014), boroughs and London"
    )

    def sniff(self, probe: Probe) -> bool:
        if not probe.header:
            return False
        have = {_norm_header(h) for h in probe.header}
        return set(_WP_ID_COLS) <= have and "Population - 2015" in have

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path, encodings=("utf-8-sig", "cp1252"))
        frame.columns = [_norm_header(c) for c in frame.columns]
        require_columns(path, frame, [*_WP_ID_COLS, *(c.header for c in WARD_PROFILE_COLUMNS)])
        codes = frame["New code"].str.strip()
        bad = ~codes.str.fullmatch(GSS_CODE.pattern)
        if bad.any():
            line = int(codes.index[bad.to_numpy().argmax()])
            raise DataValidationError(
                path,
                "not an ONS GSS area code; the file is refused whole",
                row=line,
                column="New code",
                value=codes[line],
            )
        notes: list[str] = []
        dup = codes.duplicated(keep="first")
        if dup.any():
            used = ["New code", *(c.header for c in WARD_PROFILE_COLUMNS)]
            for line in codes.index[dup.to_numpy()]:
                first = codes.index[(codes == codes[line]).to_numpy()][0]
                if not frame.loc[line, used].equals(frame.loc[first, used]):
                    raise DataValidationError(
                        path,
                        f"area listed twice with different values (first at line {first})",
                        row=int(line),
                        column="New code",
                        value=codes[line],
                    )
                notes.append(
                    f"line {line}: {codes[line]} ({frame.loc[line, 'Ward name']}) repeats line "
                    f"{first} with identical values; read once"
                )
            frame, codes = frame[~dup.to_numpy()], codes[~dup.to_numpy()]
        parts = []
        missing_counts: dict[str, int] = {}
        for c in WARD_PROFILE_COLUMNS:
            raw = frame[c.header].str.strip()
            is_missing = raw.str.lower().isin(_MISSING_TOKENS)
            num = pd.to_numeric(raw.where(~is_missing), errors="coerce")
            bad = num.isna() & ~is_missing
            if bad.any():
                line = int(raw.index[bad.to_numpy().argmax()])
                raise DataValidationError(
                    path,
                    "not a number (use 'n/a' or leave empty for missing)",
                    row=line,
                    column=c.header,
                    value=raw[line],
                )
            if not np.isfinite(num[~is_missing]).all():
                line = int(raw.index[(~np.isfinite(num) & ~is_missing).to_numpy().argmax()])
                raise DataValidationError(
                    path, "not a finite number", row=line, column=c.header, value=raw[line]
                )
            if is_missing.any():
                missing_counts[c.indicator_id] = int(is_missing.sum())
            keep = ~is_missing.to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "area_code": codes.to_numpy()[keep],
                        "indicator_id": c.indicator_id,
                        "period_start": c.period_start,
                        "period_end": c.period_end,
                        "value": num.to_numpy(dtype=float)[keep],
                    }
                )
            )
        values = pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]
        kinds = codes.str[:3].value_counts().to_dict()
        notes.insert(
            0,
            f"{len(frame):,} areas ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))}) "
            f"× {len(WARD_PROFILE_COLUMNS)} indicators = {len(values):,} values",
        )
        if missing_counts:
            notes.append(
                "n/a cells (missing, no row stored): "
                + ", ".join(f"{k}: {v}" for k, v in missing_counts.items())
            )
        notes.append("wards are on 2014 boundaries (GSS codes E05…); City of London is one area")
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame) + int(dup.sum()),
            rows_loaded=len(frame),
            covers_from=date(2009, 1, 1),
            covers_to=date(2015, 12, 1),
            notes=notes,
        )
        indicators = ward_profile_definitions()[INDICATOR_COLUMNS]
        return SourceFrames(
            report=report, tables={"indicator": indicators, "indicator_value": values}
        )


ADAPTERS: list[SourceAdapter] = [WardProfilesAdapter()]


# ----------------------------------------------------------------------------------------------
# User indicators


def _slug_ok(iid: str) -> bool:
    return bool(re.fullmatch(r"[a-z][a-z0-9_]{1,63}", iid))


def read_user_indicator(
    path: str | Path,
    *,
    indicator_id: str,
    name: str,
    polarity: str,
    unit: str,
    source: str | None = None,
    description: str = "",
    period: tuple[date, date] | None = None,
    known_areas: set[str] | None = None,
    sheet: str | None = None,
) -> SourceFrames:
    """Read a user's indicator file (``area_code, value[, period]``) without touching the store.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or Windows-1252) or XLSX (first sheet, or ``sheet``).
    indicator_id : str
        New indicator id: lower case letters, digits and ``_``, e.g. ``"youth_club_places"``.
    name, unit : str
        Label and unit (``"count"``/``"persons"`` are summed when aggregated, others averaged
        with population weights).
    polarity : {"higher_is_worse", "higher_is_better", "neutral"}
    source, description : str, optional
        Shown in the catalogue; ``source`` defaults to the file name.
    period : (date, date), optional
        Period of every value when the file has no ``period`` column. The ``period`` column,
        if present, holds a year (``2019``), a financial year (``2019/20``) or a date
        (``2019-06-30``); default: the year of the file's modification time is **not** guessed —
        one of the two must be given.
    known_areas : set of str, optional
        Area codes that exist (e.g. from the warehouse ``area`` table). Without it, codes are
        checked against the ONS GSS code pattern only.

    Returns
    -------
    SourceFrames
        ``indicator`` (one row) and ``indicator_value``; report kind ``user_indicator``.

    Raises
    ------
    InputError
        Bad id, polarity or period arguments.
    DataValidationError
        Missing columns, an unknown or malformed area code, a duplicate area (and period), or a
        non-numeric value, naming the file, row and column. Nothing is returned half-way.
    """
    p = Path(path)
    if not _slug_ok(indicator_id):
        raise InputError(
            f"indicator id {indicator_id!r} must be 2-64 lower-case letters, digits or '_', "
            "starting with a letter"
        )
    if polarity not in POLARITIES:
        raise InputError(f"polarity must be one of {', '.join(POLARITIES)} (got {polarity!r})")
    if not name.strip() or not unit.strip():
        raise InputError("name and unit must not be empty")
    frame = _read_table(p, sheet)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    require_columns(p, frame, ["area_code", "value"])
    has_period = "period" in frame.columns
    if not has_period and period is None:
        raise InputError(
            f"{p.name} has no 'period' column and no period was given",
            hint="Add a period column (e.g. 2019 or 2019/20) or pass period=(start, end).",
        )
    codes = frame["area_code"].astype(str).str.strip()
    for line, code in codes.items():
        if not GSS_CODE.fullmatch(code):
            raise DataValidationError(
                p,
                "not an ONS GSS area code (e.g. E05000026)",
                row=int(line),
                column="area_code",
                value=code,
            )
        if known_areas is not None and code not in known_areas:
            raise DataValidationError(
                p,
                "unknown area code (not in the warehouse's area table)",
                row=int(line),
                column="area_code",
                value=code,
                hint="Load the boundaries for that geography first, or fix the code.",
            )
    raw = frame["value"].astype(str).str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    for line in raw.index[(num.isna() | ~np.isfinite(num.fillna(0))).to_numpy()]:
        raise DataValidationError(
            p,
            "value is not a number (missing values: leave the area out of the file)",
            row=int(line),
            column="value",
            value=frame.loc[line, "value"],
        )
    starts: list[date] = []
    ends: list[date] = []
    for line in frame.index:
        if has_period:
            try:
                s, e = parse_period(str(frame.loc[line, "period"]).strip())
            except ValueError as exc:
                raise DataValidationError(
                    p, str(exc), row=int(line), column="period", value=frame.loc[line, "period"]
                ) from None
        else:
            assert period is not None
            s, e = period
        starts.append(s)
        ends.append(e)
    values = pd.DataFrame(
        {
            "area_code": codes.to_numpy(),
            "indicator_id": indicator_id,
            "period_start": starts,
            "period_end": ends,
            "value": num.to_numpy(dtype=float),
        }
    )
    dup = values.duplicated(["area_code", "period_start"], keep="first")
    if dup.any():
        line = int(frame.index[dup.to_numpy().argmax()])
        raise DataValidationError(
            p,
            "duplicate row for the same area and period",
            row=line,
            column="area_code",
            value=codes[line],
        )
    indicator = pd.DataFrame(
        [
            (
                indicator_id,
                name.strip(),
                unit.strip(),
                polarity,
                source or f"user file {p.name}",
                description,
            )
        ],
        columns=INDICATOR_COLUMNS,
    )
    report = LoadReport(
        path=p,
        source_kind="user_indicator",
        rows_read=len(frame),
        rows_loaded=len(frame),
        covers_from=min(starts).replace(day=1),
        covers_to=max(ends).replace(day=1),
        notes=[
            f"user indicator {indicator_id!r}: {len(values):,} values, "
            f"{values['area_code'].nunique():,} areas"
        ],
    )
    return SourceFrames(report=report, tables={"indicator": indicator, "indicator_value": values})


def parse_period(text: str) -> tuple[date, date]:
    """``2019`` → calendar year; ``2019/20`` → financial year (Apr–Mar); ``2019-06-30`` → day."""
    if re.fullmatch(r"\d{4}", text):
        y = int(text)
        return date(y, 1, 1), date(y, 12, 31)
    m = re.fullmatch(r"(\d{4})/(\d{2})", text)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        y = int(m.group(1))
        return date(y, 4, 1), date(y + 1, 3, 31)
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "period must be a year (2019), a financial year (2019/20) or a date (2019-06-30)"
        ) from None
    return d, d


def _read_table(path: Path, sheet: str | None) -> pd.DataFrame:
    """A CSV or XLSX as a frame of strings indexed by the physical row (header = 1)."""
    if not path.exists():
        raise SourceError(path, "no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook(path)
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except ValueError as exc:
            raise SourceError(path, f"cannot read sheet: {exc}") from exc
        except Exception as exc:  # openpyxl raises many types for non-workbooks
            raise SourceError(path, f"not a readable Excel workbook: {exc}") from exc
        frame = frame.dropna(how="all")
        frame.index = frame.index + 2
        return frame.fillna("")
    return read_csv_strict(path, encodings=("utf-8-sig", "cp1252"))


def ingest_user_indicator(wh: Warehouse, path: str | Path, **kwargs: object) -> IngestResult:
    """Validate a user indicator file against the warehouse's areas and load it atomically.

    Codes are checked against the ``area`` table when it has rows (else by GSS pattern).
    Re-loading the same file with the same indicator id changes nothing; a changed file
    replaces the indicator's values for the areas and periods it covers.
    """
    from vrkit.store.warehouse import IngestResult

    p = Path(path)
    areas = wh.query("SELECT DISTINCT area_code FROM area")["area_code"]
    known = set(areas) if len(areas) else None
    frames = read_user_indicator(p, known_areas=known, **kwargs)  # type: ignore[arg-type]
    iid = frames.tables["indicator"]["indicator_id"].iloc[0]
    sha = _user_sha(p, iid)
    existing = wh.con.execute(
        "SELECT dataset_id FROM dataset WHERE source_kind='user_indicator' AND sha256=?", [sha]
    ).fetchone()
    if existing:
        return IngestResult(p, "user_indicator", int(existing[0]), "unchanged", None)
    dataset_id = wh.load(frames, sha256=sha)
    return IngestResult(p, "user_indicator", dataset_id, "loaded", frames.report)


def _user_sha(path: Path, indicator_id: str) -> str:
    import hashlib

    return hashlib.sha256(f"{sha256_file(path)}|{indicator_id}".encode()).hexdigest()
