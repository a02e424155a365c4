"""Golden-output check for refactors: run the demo and one run of every command, then diff.

Usage::

    # capture (e.g. before a refactor, from a checkout of the old code)
    python scripts/compare_outputs.py run OUT_DIR [--src PATH/TO/src]
    # after the change
    python scripts/compare_outputs.py run NEW_DIR
    python scripts/compare_outputs.py diff OUT_DIR NEW_DIR

``run`` replays ``make demo`` (ingest --all and the demo reports) and one run of each command in
``docs/cli.md`` with JSON/CSV (and the other machine-readable) outputs into ``OUT_DIR``; each
command's stdout is kept as ``<name>.stdout``. ``--src`` runs another source tree (the
``src`` folder of an old checkout) with this interpreter, so old and new code run on the same
installed libraries. Data come from ``VRKIT_DATA_DIR`` (default ``../shared/data``); nothing of
it is kept in this script.

``diff`` compares every file both runs wrote: JSON structurally, CSV/Markdown/stdout as text,
XLSX cell by cell, GeoPackage layer by layer, HTML as text, each after replacing timestamps,
the run folder and ingest timings with placeholders. It prints one line per difference and
exits 1 if there is any.

Commands whose options were unified later (see CHANGELOG.md) are run with the old and new
spelling where the old one no longer exists: :data:`RUNS` uses forms both versions accept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: (name, argv with {store} {out} {health} {scratch} placeholders, files written relative to out)
Run = tuple[str, list[str], list[str]]

DEMO: list[Run] = [
    ("ingest-all", ["--store", "{store}", "ingest", "--all"], []),
    (
        "report-london",
        [
            "--store",
            "{store}",
            "report",
            "violent-crime",
            "--year",
            "2020",
            "--compare",
            "2019",
            "--area",
            "London",
            "--format",
            "html,xlsx,json",
            "--out",
            "{out}/london-2020",
        ],
        [
            "london-2020/violent-crime-london-2020.json",
            "london-2020/violent-crime-london-2020.xlsx",
            "london-2020/violent-crime-london-2020.html",
        ],
    ),
    (
        "report-lambeth",
        [
            "--store",
            "{store}",
            "report",
            "violent-crime",
            "--year",
            "2020",
            "--compare",
            "2019",
            "--area",
            "Lambeth",
            "--format",
            "html,xlsx,json",
            "--out",
            "{out}/lambeth-2020",
        ],
        [
            "lambeth-2020/violent-crime-lambeth-2020.json",
            "lambeth-2020/violent-crime-lambeth-2020.xlsx",
            "lambeth-2020/violent-crime-lambeth-2020.html",
        ],
    ),
    (
        "needs-assessment",
        [
            "--store",
            "{store}",
            "report",
            "needs-assessment",
            "--area",
            "London",
            "--years",
            "2015-2021",
            "--out",
            "{out}/needs-assessment-london",
        ],
        [
            "needs-assessment-london/needs-assessment.xlsx",
            "needs-assessment-london/needs-assessment.gpkg",
            "needs-assessment-london/needs-assessment.html",
        ],
    ),
    (
        "rank-sports",
        [
            "--store",
            "{store}",
            "rank",
            "--profile",
            "sports",
            "--geography",
            "ward",
            "--top",
            "20",
            "--out",
            "{out}/rank-sports",
        ],
        ["rank-sports"],
    ),
    (
        "alerts-json",
        [
            "--store",
            "{store}",
            "alerts",
            "--measure",
            "violence_with_injury",
            "--geography",
            "borough",
            "--month",
            "2021-06",
            "--format",
            "json",
            "--out",
            "{out}/alerts-2021-06.json",
        ],
        ["alerts-2021-06.json"],
    ),
]

COMMANDS: list[Run] = [
    ("version", ["version"], []),
    ("formats", ["formats"], []),
    ("measures", ["measures"], []),
    ("datasets-json", ["--store", "{store}", "datasets", "--format", "json"], []),
    ("datasets-csv", ["--store", "{store}", "datasets", "--format", "csv"], []),
    ("datasets-table", ["--store", "{store}", "datasets"], []),
    ("quality-json", ["--store", "{store}", "quality", "--format", "json"], []),
    ("quality-table", ["--store", "{store}", "quality", "--dataset", "1"], []),
    (
        "trend-lambeth-csv",
        [
            "--store",
            "{store}",
            "trend",
            "--measure",
            "violence_with_injury",
            "--area",
            "Lambeth",
            "--format",
            "csv",
        ],
        [],
    ),
    (
        "trend-london-financial-csv",
        [
            "--store",
            "{store}",
            "trend",
            "--measure",
            "robbery",
            "--area",
            "London",
            "--period",
            "financial",
            "--format",
            "csv",
        ],
        [],
    ),
    (
        "trend-table",
        ["--store", "{store}", "trend", "--measure", "homicide", "--area", "Southwark"],
        [],
    ),
    (
        "hotspots-lsoa-csv",
        [
            "--store",
            "{store}",
            "hotspots",
            "--measure",
            "violence_against_the_person",
            "--geography",
            "lsoa",
            "--year",
            "2019",
            "--perms",
            "99",
            "--seed",
            "1",
            "--adjust",
            "fdr",
            "--out",
            "{out}/hotspots-lsoa.csv",
        ],
        ["hotspots-lsoa.csv"],
    ),
    (
        "hotspots-ward-gpkg",
        [
            "--store",
            "{store}",
            "hotspots",
            "--measure",
            "violence_against_the_person",
            "--geography",
            "ward",
            "--area",
            "Lambeth",
            "--perms",
            "99",
            "--seed",
            "2",
            "--statistic",
            "gi",
            "--out",
            "{out}/hotspots-ward.gpkg",
        ],
        ["hotspots-ward.gpkg"],
    ),
    (
        "hotspots-grid-geojson",
        [
            "--store",
            "{store}",
            "hotspots",
            "--measure",
            "robbery",
            "--geography",
            "grid",
            "--year",
            "2019",
            "--perms",
            "0",
            "--out",
            "{out}/hotspots-grid.geojson",
        ],
        ["hotspots-grid.geojson"],
    ),
    (
        "concentration-json",
        [
            "--store",
            "{store}",
            "concentration",
            "--year",
            "2019",
            "--format",
            "json",
            "--boot",
            "200",
            "--out",
            "{out}/concentration.json",
        ],
        ["concentration.json"],
    ),
    (
        "concentration-csv",
        [
            "--store",
            "{store}",
            "concentration",
            "--year",
            "2018",
            "--geography",
            "lsoa",
            "--area",
            "Hackney",
            "--format",
            "csv",
            "--boot",
            "100",
        ],
        [],
    ),
    (
        "alerts-csv",
        [
            "--store",
            "{store}",
            "alerts",
            "--measure",
            "violence_with_injury",
            "--geography",
            "ward",
            "--month",
            "2021-06",
            "--format",
            "csv",
            "--out",
            "{out}/alerts-ward.csv",
        ],
        ["alerts-ward.csv"],
    ),
    (
        "alerts-ward-csv",
        [
            "--store",
            "{store}",
            "alerts",
            "--measure",
            "violence_with_injury",
            "--geography",
            "ward",
            "--month",
            "2023-06",
            "--format",
            "csv",
            "--out",
            "{out}/alerts-ward-2023.csv",
        ],
        ["alerts-ward-2023.csv"],
    ),
    (
        "alerts-xlsx",
        [
            "--store",
            "{store}",
            "alerts",
            "--measure",
            "robbery",
            "--geography",
            "borough",
            "--month",
            "2023-01",
            "--method",
            "cusum",
            "--format",
            "xlsx",
            "--out",
            "{out}/alerts-cusum.xlsx",
        ],
        ["alerts-cusum.xlsx"],
    ),
    (
        "alerts-table",
        [
            "--store",
            "{store}",
            "alerts",
            "--measure",
            "violence_with_injury",
            "--geography",
            "borough",
            "--month",
            "2021-06",
            "--all",
        ],
        [],
    ),
    (
        "forecast-json",
        [
            "--store",
            "{store}",
            "forecast",
            "--measure",
            "violence_with_injury",
            "--area",
            "Lambeth",
            "--horizon",
            "6",
            "--origin",
            "2019-12",
            "--format",
            "json",
            "--out",
            "{out}/forecast.json",
        ],
        ["forecast.json"],
    ),
    (
        "forecast-london-csv",
        [
            "--store",
            "{store}",
            "forecast",
            "--measure",
            "robbery",
            "--area",
            "London",
            "--horizon",
            "3",
            "--format",
            "csv",
            "--out",
            "{out}/forecast-london.csv",
        ],
        ["forecast-london.csv"],
    ),
    (
        "forecast-table",
        [
            "--store",
            "{store}",
            "forecast",
            "--measure",
            "violence_with_injury",
            "--area",
            "Hackney",
            "--horizon",
            "3",
        ],
        [],
    ),
    (
        "backtest-json",
        [
            "--store",
            "{store}",
            "backtest",
            "--measure",
            "violence_with_injury",
            "--first-origin",
            "2019-12",
            "--until",
            "2022-12",
            "--every",
            "12",
            "--horizon",
            "6",
            "--format",
            "json",
            "--out",
            "{out}/backtest.json",
        ],
        ["backtest.json"],
    ),
    (
        "backtest-md",
        [
            "--store",
            "{store}",
            "backtest",
            "--measure",
            "robbery",
            "--first-origin",
            "2020-12",
            "--until",
            "2022-12",
            "--every",
            "12",
            "--horizon",
            "3",
            "--format",
            "md",
            "--out",
            "{out}/backtest.md",
        ],
        ["backtest.md"],
    ),
    (
        "needs-assessment-ward",
        [
            "--store",
            "{store}",
            "report",
            "needs-assessment",
            "--area",
            "Lambeth",
            "--years",
            "2017-2019",
            "--geography",
            "ward",
            "--perms",
            "99",
            "--format",
            "xlsx",
            "--out",
            "{out}/na-lambeth",
        ],
        ["na-lambeth/needs-assessment.xlsx"],
    ),
    (
        "report-southwark-2021",
        [
            "--store",
            "{store}",
            "report",
            "violent-crime",
            "--year",
            "2021",
            "--area",
            "Southwark",
            "--format",
            "json",
            "--out",
            "{out}/southwark-2021",
        ],
        ["southwark-2021/violent-crime-southwark-2021.json"],
    ),
    (
        "report-public",
        [
            "--store",
            "{store}",
            "report",
            "violent-crime",
            "--year",
            "2020",
            "--area",
            "Lambeth",
            "--format",
            "json",
            "--public",
            "--out",
            "{out}/lambeth-public",
        ],
        ["lambeth-public/violent-crime-lambeth-2020.json"],
    ),
    (
        "rank-borough-csv",
        [
            "--store",
            "{store}",
            "rank",
            "--profile",
            "mentoring",
            "--geography",
            "borough",
            "--top",
            "5",
            "--draws",
            "200",
            "--format",
            "csv",
            "--out",
            "{out}/rank-mentoring",
        ],
        ["rank-mentoring"],
    ),
    ("rank-profiles", ["rank", "profiles"], []),
    ("rank-indicators", ["--store", "{store}", "rank", "indicators"], []),
    (
        "synth-istv",
        [
            "synth",
            "istv",
            "--out",
            "{out}/synth-istv",
            "--departments",
            "3",
            "--months",
            "4",
            "--seed",
            "7",
            "--gazetteer",
            "{out}/gazetteer.csv",
        ],
        ["synth-istv", "gazetteer.csv"],
    ),
    (
        "synth-ambulance",
        [
            "synth",
            "ambulance",
            "--out",
            "{out}/synth-ambulance",
            "--lsoas",
            "20",
            "--months",
            "6",
            "--seed",
            "3",
        ],
        ["synth-ambulance"],
    ),
    (
        "health-ingest-istv",
        ["health", "ingest-istv", "{out}/synth-istv", "--store", "{health}"],
        [],
    ),
    (
        "health-quality-istv",
        ["health", "quality-istv", "--format", "json", "--store", "{health}"],
        [],
    ),
    ("health-quality-istv-table", ["health", "quality-istv", "--store", "{health}"], []),
    (
        "quality-source-istv",
        ["--store", "{health}", "quality", "--source", "istv", "--format", "json"],
        [],
    ),
    (
        "health-match-locations",
        [
            "health",
            "match-locations",
            "--gazetteer",
            "{out}/gazetteer.csv",
            "--format",
            "json",
            "--store",
            "{health}",
        ],
        [],
    ),
    (
        "rank-add-indicator",
        [
            "--store",
            "{scratch}",
            "rank",
            "add-indicator",
            "{out}/user-indicator.csv",
            "--id",
            "youth_places",
            "--name",
            "Youth_places",
            "--polarity",
            "higher_is_better",
            "--unit",
            "count",
            "--year",
            "2020",
        ],
        [],
    ),
]

TS = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2} UTC"
)
TIMING = re.compile(
    r"\b\d+\.\d s\b|(?<=│)\s*\d+\.\d\s*(?=│)|\bin \d+\.\d s\b|\(\d\d:\d\d:\d\d\.\d+ elapsed\)"
)


def _vrkit(src: Path | None) -> list[str]:
    code = "import sys; from vrkit.cli import main; sys.argv[0] = 'vrkit'; main()"
    return [sys.executable, "-c", code]


def run(out: Path, src: Path | None, only: list[str] | None) -> int:
    """Run the demo and the commands, writing into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("VRKIT_DATA_DIR", str((ROOT / ".." / "shared" / "data").resolve()))
    env["COLUMNS"] = "200"
    env["NO_COLOR"] = "1"
    env["TERM"] = "dumb"
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    subs = {
        "store": str(out / "vrkit.duckdb"),
        "out": str(out),
        "health": str(out / "health.duckdb"),
        "scratch": str(out / "scratch.duckdb"),
    }
    # a small user indicator file (synthetic values on made-up ward codes)
    (out / "user-indicator.csv").write_text(
        "area_code,value\n" + "".join(f"E0500{i:04d},{i % 7}\n" for i in range(1, 21)),
        encoding="utf-8",
    )
    failed = 0
    for name, argv, _files in DEMO + COMMANDS:
        if only and name not in only:
            continue
        args = [a.format(**subs) for a in argv]
        proc = subprocess.run(
            _vrkit(src) + args, capture_output=True, text=True, env=env, cwd=out, check=False
        )
        (out / f"{name}.stdout").write_text(proc.stdout, encoding="utf-8")
        (out / f"{name}.stderr").write_text(proc.stderr, encoding="utf-8")
        (out / f"{name}.rc").write_text(f"{proc.returncode}\n", encoding="utf-8")
        status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        print(f"{name:32s} {status}", flush=True)
        failed += proc.returncode != 0
    return 1 if failed else 0


# -- diff -----------------------------------------------------------------------------------------


#: DuckDB's own progress bar (printed on long queries; its timing varies run to run)
PROGRESS = re.compile(r"^\s*\d+% ▕.*$\n?", re.M)


def _norm_text(text: str, root: Path) -> str:
    text = PROGRESS.sub("", text.replace(str(root), "<RUN>"))
    text = TS.sub("<TS>", text)
    return TIMING.sub("<T>", text)


def _norm_json(obj: Any, root: Path) -> Any:
    if isinstance(obj, dict):
        return {k: _norm_json(v, root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_norm_json(v, root) for v in obj]
    if isinstance(obj, str):
        return _norm_text(obj, root)
    return obj


def _json_diff(a: Any, b: Any, where: str, out: list[str]) -> None:
    if type(a) is not type(b) and not (isinstance(a, int | float) and isinstance(b, int | float)):
        out.append(f"{where}: {type(a).__name__} {a!r:.80} != {type(b).__name__} {b!r:.80}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'new' if k in b else 'golden'}")
            else:
                _json_diff(a[k], b[k], f"{where}.{k}", out)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items != {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _json_diff(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {a!r:.80} != {b!r:.80}")


def _xlsx_rows(path: Path, root: Path) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    sheets = {}
    for ws in wb.worksheets:
        sheets[ws.title] = [
            [_norm_text("" if v is None else str(v), root) for v in row]
            for row in ws.iter_rows(values_only=True)
        ]
    return sheets


def _gpkg_text(path: Path) -> dict[str, str]:
    import pyogrio

    layers = {}
    for name, _geom in pyogrio.list_layers(path):
        df = pyogrio.read_dataframe(path, layer=name)
        if "geometry" in df.columns:
            df["geometry"] = df["geometry"].map(lambda g: None if g is None else g.wkb_hex)
        layers[str(name)] = df.to_csv(index=False)
    return layers


def _files(base: Path) -> list[Path]:
    skip = (".duckdb", ".duckdb.wal", ".stderr", ".rc")
    return sorted(
        p.relative_to(base)
        for p in base.rglob("*")
        if p.is_file() and not p.name.endswith(skip) and p.name != "user-indicator.csv"
    )


def diff(golden: Path, new: Path) -> int:
    """Compare every output of two runs; one line per difference."""
    problems: list[str] = []
    a_files, b_files = set(_files(golden)), set(_files(new))
    for p in sorted(a_files - b_files):
        problems.append(f"{p}: missing in the new run")
    for p in sorted(b_files - a_files):
        print(f"note: {p}: only in the new run")
    for rel in sorted(a_files & b_files):
        a, b = golden / rel, new / rel
        suffix = "".join(a.suffixes[-1:]).lower()
        try:
            if suffix in (".json", ".geojson"):
                ja = _norm_json(json.loads(a.read_text(encoding="utf-8")), golden)
                jb = _norm_json(json.loads(b.read_text(encoding="utf-8")), new)
                found: list[str] = []
                _json_diff(ja, jb, "$", found)
                problems += [f"{rel}: {d}" for d in found[:20]]
            elif suffix == ".xlsx":
                xa, xb = _xlsx_rows(a, golden), _xlsx_rows(b, new)
                if list(xa) != list(xb):
                    problems.append(f"{rel}: sheets {list(xa)} != {list(xb)}")
                for sheet in xa:
                    ra, rb = xa[sheet], xb.get(sheet, [])
                    if ra != rb:
                        first = next(
                            (i for i, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y),
                            min(len(ra), len(rb)),
                        )
                        problems.append(
                            f"{rel}[{sheet}]: differs from row {first + 1} "
                            f"({len(ra)} vs {len(rb)} rows): "
                            f"{(ra[first] if first < len(ra) else None)!r:.160} != "
                            f"{(rb[first] if first < len(rb) else None)!r:.160}"
                        )
            elif suffix == ".gpkg":
                ga, gb = _gpkg_text(a), _gpkg_text(b)
                if ga != gb:
                    bad = [k for k in set(ga) | set(gb) if ga.get(k) != gb.get(k)]
                    problems.append(f"{rel}: layers differ: {', '.join(sorted(bad))}")
            else:
                ta = _norm_text(a.read_text(encoding="utf-8", errors="replace"), golden)
                tb = _norm_text(b.read_text(encoding="utf-8", errors="replace"), new)
                if ta != tb:
                    la, lb = ta.splitlines(), tb.splitlines()
                    first = next(
                        (i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y),
                        min(len(la), len(lb)),
                    )
                    problems.append(
                        f"{rel}: differs from line {first + 1}: "
                        f"{(la[first] if first < len(la) else '<end>')!r:.160} != "
                        f"{(lb[first] if first < len(lb) else '<end>')!r:.160}"
                    )
        except Exception as exc:  # a broken file is a difference, not a crash of the check
            problems.append(f"{rel}: cannot compare ({type(exc).__name__}: {exc})")
    for name, *_ in DEMO + COMMANDS:
        ra, rb = golden / f"{name}.rc", new / f"{name}.rc"
        if ra.exists() and rb.exists() and ra.read_text() != rb.read_text():
            problems.append(
                f"{name}: exit code {ra.read_text().strip()} != {rb.read_text().strip()}"
            )
    for line in problems:
        print(line)
    print(f"{len(a_files & b_files)} files compared, {len(problems)} difference(s)")
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the demo and every command into a folder")
    r.add_argument("out", type=Path)
    r.add_argument("--src", type=Path, help="the src folder of another checkout to run")
    r.add_argument("--only", nargs="*", help="run only these named steps")
    r.add_argument("--clean", action="store_true", help="empty the folder first")
    d = sub.add_parser("diff", help="compare two runs")
    d.add_argument("golden", type=Path)
    d.add_argument("new", type=Path)
    ns = ap.parse_args()
    if ns.cmd == "run":
        if ns.clean and ns.out.exists():
            shutil.rmtree(ns.out)
        return run(ns.out.resolve(), ns.src, ns.only)
    return diff(ns.golden.resolve(), ns.new.resolve())


if __name__ == "__main__":
    sys.exit(main())
