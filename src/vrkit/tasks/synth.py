"""Synthetic health data: ISTV submissions and ambulance call-outs. **Not real data.**

No real ISTV data is public, so tests, the demo and the benchmarks use files written here. Every
file says it is synthetic (an ISTV header line ``synthetic,yes``; a ``synthetic`` column in the
ambulance file; a ``README.md`` in the output folder), and sites are named ``SYN01`` … with
department names ending "(synthetic)".

Model (ISTV)
------------
- Department size: London-like, about 1,400 attendances a month across 29 departments; each
  department's mean is drawn from a log-normal around the average (sd 0.45 on the log scale).
- Season: ``1 + 0.12 sin(2π (m − 4) / 12)`` (a summer peak) plus a December bump of 8 %; a
  gentle trend of −1 % a year.
- Counts: Poisson given the department-month mean.
- Time: arrival days weighted Friday–Sunday ×1.5; hours weighted towards evenings and nights
  (peak 22:00–03:00); assault precedes arrival by an exponential delay (mean 90 minutes), a few
  by days.
- Method mix (codes of ``catalog/istv_codes.csv``): body part 45 %, blunt object 11 %, glass or
  bottle 8 %, knife 12 %, firearm 1 %, other 8 %, not known 15 %.
- Location: types from a fixed mix; descriptions drawn from a synthetic gazetteer of places
  (:func:`synthetic_gazetteer`) written messily (case, abbreviations ``st``/``rd``, typos, "outside
  …", "nr …"), or blank/"unknown" (about 12 %).
- Quality: each department has a base share of unusable location text; a few departments suffer a
  quality drop (location text blank) for a few months.

Files: one per department and month, CSV (90 %) or XLSX. Some months are missing (departments
joining late; gaps). Some files are late (``submitted_on`` > 30 days after the month), some are
re-submitted (a corrected ``_r2`` file, which sorts after the original and replaces it), some are
malformed (wrong ``record_count``; a two-month period; mostly invalid codes) and must be refused,
and about 1 % of records break a record rule and must be rejected. :class:`SynthManifest` records
all of it, so tests can check what ``vrkit ingest`` should do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.errors import InputError
from vrkit.outputs import output_file, output_folder
from vrkit.reports.tabular import write_csv, write_csv_rows, write_xlsx_rows

SYNTHETIC_NOTE = (
    "SYNTHETIC DATA written by `vrkit synth`: not real patients, departments or call-outs. "
    "Generated for tests, demos and benchmarks only."
)

_METHOD_P = {"01": 0.45, "02": 0.11, "03": 0.08, "04": 0.12, "05": 0.01, "06": 0.08, "99": 0.15}
_LOCTYPE_P = {
    "01": 0.22,
    "02": 0.35,
    "03": 0.14,
    "04": 0.08,
    "05": 0.06,
    "06": 0.03,
    "07": 0.02,
    "08": 0.04,
    "09": 0.01,
    "10": 0.02,
    "99": 0.03,
}
_OTHER_METHODS = ["screwdriver", "hammer", "brick", "chair", "dog bite", "boiling water", "belt"]
_STREET_WORDS = [
    "High",
    "Station",
    "Church",
    "Market",
    "Mill",
    "Park",
    "Victoria",
    "Albert",
    "King",
    "Queen",
    "Coldharbour",
    "Walworth",
    "Brixton",
    "Peckham",
    "Camberwell",
    "Kennington",
    "Acre",
    "Garden",
    "Bridge",
    "Water",
]
_STREET_TYPES = [("Street", "st"), ("Road", "rd"), ("Lane", "ln"), ("Avenue", "ave")]
_PLACE_KINDS = [
    ("The {w} Arms", "03"),
    ("{w} Tavern", "03"),
    ("Club {w}", "03"),
    ("{w} Station", "05"),
    ("{w} Park", "08"),
    ("{w} Academy", "07"),
    ("{w} Chicken", "04"),
    ("{w} Supermarket", "04"),
]
_BLANK_TEXT = ["", "unknown", "n/k", "not known", "?", "declined"]


@dataclass
class SynthManifest:
    """What a synthetic run wrote, and what a correct ingest must do with it."""

    out: Path
    seed: int
    departments: list[str]
    months: list[date]
    files: list[Path] = field(default_factory=list)
    #: files that must be refused whole (malformed)
    malformed: list[Path] = field(default_factory=list)
    late: list[Path] = field(default_factory=list)
    resubmitted: list[Path] = field(default_factory=list)
    #: (site, month) with no file at all
    missing: list[tuple[str, date]] = field(default_factory=list)
    #: (site, month) → records that must be loaded / rejected (from the file that wins)
    expected_loaded: dict[tuple[str, date], int] = field(default_factory=dict)
    expected_rejected: dict[tuple[str, date], int] = field(default_factory=dict)
    #: (site, months) whose location text was made unusable on purpose (a quality drop)
    quality_drops: list[tuple[str, date]] = field(default_factory=list)
    records_written: int = 0

    @property
    def total_loaded(self) -> int:
        """Records a correct ingest loads in all."""
        return sum(self.expected_loaded.values())

    def to_frame(self) -> pd.DataFrame:
        """One row per file written: ``file, malformed, late, resubmission``."""
        bad, late, re_ = set(self.malformed), set(self.late), set(self.resubmitted)
        return pd.DataFrame(
            [(p.name, p in bad, p in late, p in re_) for p in self.files],
            columns=["file", "malformed", "late", "resubmission"],
        )

    def to_dict(self) -> dict[str, object]:
        """What was written and what a correct ingest must do with it."""
        return {
            "out": str(self.out),
            "seed": self.seed,
            "departments": list(self.departments),
            "months": [m.isoformat() for m in self.months],
            "files": len(self.files),
            "malformed": [p.name for p in self.malformed],
            "late": [p.name for p in self.late],
            "resubmitted": [p.name for p in self.resubmitted],
            "missing": [[s, m.isoformat()] for s, m in self.missing],
            "records_written": self.records_written,
            "records_loaded_by_a_correct_ingest": self.total_loaded,
        }


def synthetic_gazetteer(n_places: int = 160, seed: int = 1) -> pd.DataFrame:
    """Synthetic places (``name, easting, northing, location_type``) in a London-sized box.

    Coordinates are British National Grid metres inside 520,000–545,000 E, 165,000–190,000 N.
    """
    rng = np.random.default_rng(seed)
    names: set[str] = set()
    rows: list[tuple[str, float, float, str]] = []
    while len(rows) < n_places:
        w = str(rng.choice(_STREET_WORDS))
        if rng.random() < 0.5:
            full, _ = _STREET_TYPES[int(rng.integers(len(_STREET_TYPES)))]
            name, ltype = f"{w} {full}", "02"
        else:
            tmpl, ltype = _PLACE_KINDS[int(rng.integers(len(_PLACE_KINDS)))]
            name = tmpl.format(w=w)
        if name in names:
            continue
        names.add(name)
        rows.append(
            (
                name,
                float(rng.uniform(520_000, 545_000)),
                float(rng.uniform(165_000, 190_000)),
                ltype,
            )
        )
    return pd.DataFrame(rows, columns=["name", "easting", "northing", "location_type"])


def _messy(name: str, rng: np.random.Generator) -> str:
    """Write a place name as a busy clerk might."""
    text = name
    r = rng.random()
    if r < 0.35:
        for full, short in _STREET_TYPES:
            text = text.replace(full, short)
    if rng.random() < 0.4:
        text = text.lower()
    elif rng.random() < 0.15:
        text = text.upper()
    if rng.random() < 0.12 and len(text) > 6:  # one typo: drop a letter
        k = int(rng.integers(1, len(text) - 1))
        text = text[:k] + text[k + 1 :]
    prefix = rng.choice(["", "", "outside ", "nr ", "in ", "at ", "near "])
    suffix = rng.choice(["", "", "", " - fight", " (outside)", ", SE5"])
    return f"{prefix}{text}{suffix}"


def _month_list(start: date, months: int) -> list[date]:
    return [d.date() for d in pd.date_range(start, periods=months, freq="MS")]


def _records(
    rng: np.random.Generator,
    month: date,
    n: int,
    gaz: pd.DataFrame,
    unusable_share: float,
    bad_share: float,
) -> tuple[list[list[str]], int]:
    """``n`` records for one department-month; returns rows and how many break a record rule."""
    days = pd.date_range(month, periods=(pd.Timestamp(month) + pd.offsets.MonthEnd(0)).day)
    day_w = np.where(days.day_of_week >= 4, 1.5, 1.0)
    day_idx = rng.choice(len(days), size=n, p=day_w / day_w.sum())
    hours = np.arange(24)
    hour_w = 1.0 + 2.5 * np.exp(-(((hours - 24.5) % 24 - 0.5) ** 2) / 8.0)  # night peak ~00:30
    hour_w += 0.8 * np.exp(-((hours - 18) ** 2) / 6.0)
    hr = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    minute = rng.integers(0, 60, size=n)
    delay = rng.exponential(90.0, size=n)
    long_delay = rng.random(n) < 0.03
    delay[long_delay] += rng.uniform(600, 4 * 1440, size=int(long_delay.sum()))
    methods = rng.choice(list(_METHOD_P), size=n, p=list(_METHOD_P.values()))
    ltypes = rng.choice(list(_LOCTYPE_P), size=n, p=list(_LOCTYPE_P.values()))
    place_idx = rng.integers(0, len(gaz), size=n)
    bad = rng.random(n) < bad_share
    rows: list[list[str]] = []
    for k in range(n):
        arrival = datetime.combine(days[day_idx[k]].date(), datetime.min.time()) + timedelta(
            hours=int(hr[k]), minutes=int(minute[k])
        )
        assault = arrival - timedelta(minutes=float(delay[k]))
        if assault.month != arrival.month and (arrival - assault).days > 0:
            assault = arrival - timedelta(minutes=30)
        method = str(methods[k])
        other = str(rng.choice(_OTHER_METHODS)) if method == "06" else ""
        place = gaz.iloc[int(place_idx[k])]
        ltype = str(ltypes[k])
        if rng.random() < unusable_share:
            desc = str(rng.choice(_BLANK_TEXT))
        else:
            desc = _messy(str(place["name"]), rng)
            if place["location_type"] != "02" and rng.random() < 0.7:
                ltype = str(place["location_type"])
        arr_s = arrival.strftime("%Y-%m-%d %H:%M")
        ass_s = assault.strftime("%Y-%m-%d %H:%M")
        if bad[k]:
            flaw = int(rng.integers(3))
            if flaw == 0:  # assault after arrival
                ass_s = (arrival + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
            elif flaw == 1:
                method = "X7"
            else:
                ltype = "42"
        rows.append([arr_s, ass_s, method, other, ltype, desc])
    return rows, int(bad.sum())


_RECORD_HEADER = [
    "arrival_datetime",
    "assault_datetime",
    "assault_method",
    "assault_method_other_description",
    "assault_location_type",
    "assault_location_description",
]


def _submission_rows(
    site: str,
    name: str,
    month: date,
    records: list[list[str]],
    *,
    submitted: date,
    declared: int | None = None,
    period_end: date | None = None,
) -> list[list[str]]:
    last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    return [
        ["ISTV submission", "ISB 1594"],
        ["site_code", site],
        ["department", name],
        ["reporting_period_start", month.isoformat()],
        ["reporting_period_end", (period_end or last).isoformat()],
        ["record_count", str(len(records) if declared is None else declared)],
        ["submitted_on", submitted.isoformat()],
        ["synthetic", "yes"],
        [],
        _RECORD_HEADER,
        *records,
    ]


def write_submission(path: Path, rows: list[list[str]]) -> Path:
    """Write submission rows as CSV, or as an XLSX sheet ``ISTV submission`` for ``.xlsx``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx_rows(path, "ISTV submission", rows)
    write_csv_rows(rows, path)
    return path


def _empty_folder(out: str | Path, *, force: bool) -> Path:
    """Create ``out``; refuse one that already holds files unless ``force``."""
    p = Path(out)
    if p.is_dir() and any(p.iterdir()) and not force:
        raise InputError(
            f"--out {p} already holds files: synthetic submissions and a README.md would be "
            "written among them",
            hint="Give an empty or new folder, or pass --force to write into it anyway.",
        )
    return output_folder(p, [], force=force)


def synth_istv(
    out: str | Path,
    *,
    departments: int = 29,
    months: int = 12,
    seed: int = 1,
    start: date = date(2023, 1, 1),
    monthly_total: float = 1400.0,
    xlsx_share: float = 0.1,
    late_share: float = 0.05,
    resubmit_share: float = 0.03,
    malformed_share: float = 0.02,
    missing_share: float = 0.02,
    bad_record_share: float = 0.01,
    gazetteer: str | Path | None = None,
    force: bool = False,
) -> SynthManifest:
    """Write synthetic ISTV submissions for ``departments`` × ``months`` into ``out``.

    Parameters
    ----------
    out : path
        Output folder (created). Files are named ``SYNnn_YYYY-MM.csv`` (or ``.xlsx``);
        re-submissions ``SYNnn_YYYY-MM_r2.csv``.
    departments, months : int
        Size of the run (1–99 departments; months from ``start``).
    seed : int
        Seed of the generator: the same arguments write the same files.
    monthly_total : float
        Mean attendances a month across all departments (London ≈ 1,400).
    xlsx_share, late_share, resubmit_share, malformed_share, missing_share, bad_record_share :
        Shares of files (or records) with each trait; see the module docstring.
    gazetteer : path, optional
        Also write the synthetic gazetteer (``name, easting, northing``) to this CSV (keep it
        outside ``out``: it is not a submission).
    force : bool
        Write into a folder that already holds files (replacing any of the same name), and
        replace an existing gazetteer file. Without it both are refused.

    Returns
    -------
    SynthManifest
    """
    if not 1 <= departments <= 99:
        raise InputError(f"departments must be 1–99, got {departments}")
    if months < 1:
        raise InputError(f"months must be ≥ 1, got {months}")
    out = _empty_folder(out, force=force)
    g = output_file(gazetteer, force=force) if gazetteer is not None else None
    rng = np.random.default_rng(seed)
    gaz = synthetic_gazetteer(seed=seed)
    if g is not None:
        write_csv(gaz[["name", "easting", "northing"]], g)
    sites = [f"SYN{d + 1:02d}" for d in range(departments)]
    month_list = _month_list(start, months)
    man = SynthManifest(out=out, seed=seed, departments=sites, months=month_list)
    sizes = np.exp(rng.normal(0.0, 0.45, size=departments))
    sizes = sizes / sizes.sum() * monthly_total
    base_unusable = rng.uniform(0.05, 0.2, size=departments)
    # a few departments join late; a few have a quality drop
    first_month = np.zeros(departments, dtype=int)
    joiners = rng.random(departments) < 0.1
    first_month[joiners] = rng.integers(0, max(1, months // 3), size=int(joiners.sum()))
    drop_sites = (
        set(np.flatnonzero(rng.random(departments) < 0.1).tolist()) if months >= 6 else set()
    )
    drop_start = {d: int(rng.integers(months // 2, months)) for d in drop_sites}
    for d, site in enumerate(sites):
        name = f"Synthetic ED {d + 1:02d} (synthetic)"
        for m_i, month in enumerate(month_list):
            if m_i < first_month[d]:
                man.missing.append((site, month))
                continue
            if m_i > 0 and rng.random() < missing_share:
                man.missing.append((site, month))
                continue
            years = (month.year - start.year) + (month.month - start.month) / 12
            season = 1 + 0.12 * math.sin(2 * math.pi * (month.month - 4) / 12)
            season *= 1.08 if month.month == 12 else 1.0
            mean = sizes[d] * season * (0.99**years)
            n = max(1, int(rng.poisson(mean)))
            unusable = base_unusable[d]
            if d in drop_start and m_i >= drop_start[d]:
                unusable = 0.85
                man.quality_drops.append((site, month))
            recs, n_bad = _records(rng, month, n, gaz, unusable, bad_record_share)
            last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
            late = rng.random() < late_share
            submitted = last + timedelta(
                days=int(rng.integers(40, 120) if late else rng.integers(3, 20))
            )
            suffix = ".xlsx" if rng.random() < xlsx_share else ".csv"
            path = out / f"{site}_{month:%Y-%m}{suffix}"
            r = rng.random()
            key = (site, month)
            if r < malformed_share:
                flaw = int(rng.integers(3))
                if flaw == 0:  # truncated export: record_count disagrees
                    rows = _submission_rows(
                        site, name, month, recs[: max(0, n - 3)], submitted=submitted, declared=n
                    )
                elif flaw == 1:  # two-month period
                    rows = _submission_rows(
                        site,
                        name,
                        month,
                        recs,
                        submitted=submitted,
                        period_end=(pd.Timestamp(last) + pd.offsets.MonthEnd(1)).date(),
                    )
                else:  # mostly invalid method codes
                    broken = [[*row[:2], "ZZ", *row[3:]] for row in recs]
                    rows = _submission_rows(site, name, month, broken, submitted=submitted)
                write_submission(path, rows)
                man.malformed.append(path)
                man.files.append(path)
                man.records_written += n
                continue
            write_submission(path, _submission_rows(site, name, month, recs, submitted=submitted))
            man.files.append(path)
            man.records_written += n
            if late:
                man.late.append(path)
            man.expected_loaded[key] = n - n_bad
            man.expected_rejected[key] = n_bad
            if r > 1 - resubmit_share:  # a corrected re-submission: bad records fixed, one more
                extra, _ = _records(rng, month, 1, gaz, unusable, 0.0)
                good = [
                    row for row in recs if row[2] != "X7" and row[4] != "42" and row[1] <= row[0]
                ]
                rows = _submission_rows(
                    site, name, month, good + extra, submitted=submitted + timedelta(days=14)
                )
                p2 = write_submission(out / f"{site}_{month:%Y-%m}_r2.csv", rows)
                man.files.append(p2)
                man.resubmitted.append(p2)
                man.records_written += len(good) + 1
                man.expected_loaded[key] = len(good) + 1
                man.expected_rejected[key] = 0
    (out / "README.md").write_text(
        f"# {SYNTHETIC_NOTE}\n\nISTV submissions: {departments} departments × {months} months "
        f"from {start:%Y-%m}, seed {seed}.\n\n- files: {len(man.files)}\n- malformed (must be "
        f"refused): {len(man.malformed)}\n- late: {len(man.late)}\n- re-submissions: "
        f"{len(man.resubmitted)}\n- department-months with no file: {len(man.missing)}\n"
        f"- records written: {man.records_written:,}\n",
        encoding="utf-8",
    )
    return man


def synth_ambulance(
    out: str | Path,
    *,
    lsoas: int = 200,
    months: int = 12,
    seed: int = 1,
    start: date = date(2023, 1, 1),
    lsoa_codes: list[str] | None = None,
    force: bool = False,
) -> Path:
    """Write one synthetic ambulance call-outs file (``lsoa_code, month, callouts, synthetic``).

    Counts are Poisson with an LSOA-level gamma-distributed mean (a few hot LSOAs), the same
    seasonality as :func:`synth_istv`, and every row says ``synthetic=yes``. LSOA codes are
    ``E0190xxxx`` unless ``lsoa_codes`` are given (e.g. real codes to link with police data).
    The folder ``out`` is created; an existing file of the same name is replaced only with
    ``force``.
    """
    if lsoas < 1 or months < 1:
        raise InputError(f"lsoas and months must be ≥ 1, got {lsoas} and {months}")
    rng = np.random.default_rng(seed)
    codes = lsoa_codes or [f"E0190{k:04d}" for k in range(lsoas)]
    means = rng.gamma(0.8, 1.5, size=len(codes))
    path = Path(out) / f"ambulance_assaults_synthetic_{start:%Y-%m}_{months}m.csv"
    output_folder(out, [path.name], force=force)
    rows: list[list[object]] = [["lsoa_code", "month", "callouts", "synthetic"]]
    for month in _month_list(start, months):
        season = 1 + 0.12 * math.sin(2 * math.pi * (month.month - 4) / 12)
        counts = rng.poisson(means * season)
        rows.extend(
            [code, f"{month:%Y-%m}", int(c), "yes"] for code, c in zip(codes, counts, strict=True)
        )
    write_csv_rows(rows, path)
    return path
