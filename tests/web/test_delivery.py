"""The delivery side on PostgreSQL: the London example reproduces the published tables, imports
are whole and idempotent, bad input is named and stores nothing, money rules and reprofiling
(with its audit trail), the optimistic lock, the returns round trip, 360Giving, the logic model
and the SYNTHETIC portfolio."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import vrkit.ops.delivery  # noqa: F401 - registers the delivery roles
from vrkit.catalog.money import pence
from vrkit.errors import DataValidationError, InputError
from vrkit.ops.db import Database
from vrkit.ops.delivery import finance, register
from vrkit.ops.delivery.models import (
    Budget,
    Commitment,
    MonitoringReturn,
    Programme,
    Reprofile,
    Spend,
)
from vrkit.ops.delivery.register import EditConflict
from vrkit.ops.models import AuditEvent
from vrkit.ops.roles import Principal
from vrkit.sources.delivery.returns_xlsx import ReturnRejected
from vrkit.tasks import delivery as tasks

from .conftest import _fresh_database
from .delivery_helpers import EXAMPLE, PORTFOLIO, check_published_tables, fill, write_tables

ANA = Principal(role="commissioner", user_id=1, email="ana@vru.test.invalid", name="Ana")
BEN = Principal(role="commissioner", user_id=2, email="ben@vru.test.invalid", name="Ben")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    d.migrate()
    yield d
    d.dispose()


def count(s: Session, model: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


def portfolio(db: Database, tmp_path: Path, **override: str) -> Path:
    folder = write_tables(tmp_path / "portfolio", PORTFOLIO | override)
    with db.session() as s:
        tasks.import_delivery(s, ANA, [folder])
    return folder


# -- the published tables ---------------------------------------------------------------------


def test_london_example_reproduces_the_published_tables(db: Database) -> None:
    with db.session() as s:
        (summary,) = tasks.import_delivery(s, ANA, [EXAMPLE])
    assert summary.counts["programmes created"] == 60
    assert "INCONSISTENT: mayor_growth commitments stated for 2020/21" in " ".join(summary.notes)
    with db.session() as s:
        doc = tasks.delivery_tables(s, 2020).to_dict()
        budgets_before = count(s, Budget)
    check_published_tables(doc)
    # programmes by theme and objective: the register's 55 delivery items, by theme
    by_theme = {r["theme"]: r for r in doc["programmes_by_theme_and_objective"]}
    assert by_theme["All themes"]["programmes"] == 55
    assert by_theme["Education, schools and settings"]["objective_5"] >= 4
    # the multi-year view, 2018/19 on, with a budget stated without an amount kept as such
    years = {(r["financial_year"], r["source"]): r for r in doc["multi_year"]}
    assert years[("2018/19", "Total")]["amount_gbp_m"] == 1.8
    assert years[("2019/20", "Total")]["amount_gbp_m"] == 14.8
    assert years[("2021/22", "Home Office")]["amount_gbp_m"] is None
    assert years[("2021/22", "Total (incomplete)")]["amount_gbp_m"] == 10.0
    # a second import changes nothing
    with db.session() as s:
        (again,) = tasks.import_delivery(s, ANA, [EXAMPLE])
        assert count(s, Budget) == budgets_before
    assert again.counts["programmes unchanged"] == 60 and "programmes created" not in again.counts
    assert again.logic_model == "london-vru version 1 (unchanged)"


def test_make_demo_commands_write_the_published_tables(tmp_path: Path) -> None:
    """What `make demo` runs (on the embedded SQLite default), through the command line."""
    from typer.testing import CliRunner

    from vrkit.cli import app

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    run = CliRunner()
    r = run.invoke(app, ["programmes", "import", str(EXAMPLE), "--database-url", url])
    assert r.exit_code == 0, r.output
    out = tmp_path / "delivery"
    r = run.invoke(
        app,
        [
            "programmes",
            "report",
            "--year",
            "2020/21",
            "--format",
            "html,xlsx,json",
            "--out",
            str(out),
            "--database-url",
            url,
        ],
    )
    assert r.exit_code == 0, r.output
    check_published_tables(json.loads((out / "delivery-2020-21.json").read_text()))
    html = (out / "delivery-2020-21.html").read_text()
    assert "19.7" in html and "add up to 19.6 but the total is 19.7" in html
    assert "<script" not in html and "<link" not in html  # self-contained


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "match"),
    [
        (
            {
                "profile.csv": "programme_ref,source,financial_year,quarter,amount_gbp\nT-009,home_office,2020/21,1,10\n"
            },
            r"profile.csv, line 2, column 'programme_ref': unknown programme reference 'T-009'",
        ),
        (
            {
                "programmes.csv": "ref,name,theme,lead_identifier\nT-003,Gamma,VCS/community,GB-CHC-9999999\n"
            },
            r"programmes.csv, line 2, column 'lead_organisation': unknown organisation id 'GB-CHC-9999999'",
        ),
        (
            {
                "spend.csv": "programme_ref,source,financial_year,quarter,amount_gbp\nT-002,home_office,2020/21,1,50000.01\n"
            },
            r"spend.csv, line 2, column 'amount_gbp': programme T-002: spend from Home Office in 2020/21 would be £50,000.01, beyond its budget \(profile\) of £50,000.00 by £0.01, and no approved reprofile covers it",
        ),
        (
            {
                "spend.csv": "programme_ref,source,financial_year,quarter,amount_gbp,date\nT-002,home_office,2020/21,1,10,2021-04-02\n"
            },
            r"spend.csv, line 2, column 'date': 2021-04-02 is outside the financial year 2020/21",
        ),
        (
            {
                "spend.csv": "programme_ref,source,financial_year,quarter,amount_gbp\nT-002,home_office,2020/21,1,-5\n"
            },
            r"spend.csv, line 2, column 'amount_gbp': an amount cannot be negative",
        ),
        (
            {
                "targets.csv": "programme_ref,source,measure,financial_year,target\nT-001,,people_reached_new,2020/21,12.5\n"
            },
            r"targets.csv, line 2, column 'target': not a whole number",
        ),
        (
            {
                "budgets.csv": "source,financial_year,amount_gbp\nhome_office,2020/21,30000\nmayor_core,2020/21,50000\n"
            },
            r"commitments from Home Office in 2020/21 would total £90,000.00, more than its budget of £30,000.00",
        ),
    ],
)
def test_bad_imports_are_named_and_store_nothing(
    db: Database, tmp_path: Path, override: dict[str, str], match: str
) -> None:
    folder = write_tables(tmp_path / "bad", PORTFOLIO | override)
    with pytest.raises(DataValidationError, match=match), db.session() as s:
        tasks.import_delivery(s, ANA, [folder])
    with db.session() as s:
        assert count(s, Programme) == 0 and count(s, Budget) == 0 and count(s, Commitment) == 0


# -- money and reprofiling -------------------------------------------------------------------------


def test_spend_beyond_budget_needs_an_approved_reprofile(db: Database, tmp_path: Path) -> None:
    portfolio(db, tmp_path)
    spend = {
        "kind": "spend",
        "programme_ref": "T-002",
        "source": "home_office",
        "financial_year": 2020,
    }
    with db.session() as s:
        for q in (1, 2, 3, 4):
            tasks.record_amount(s, ANA, quarter=q, amount="12500.00", **spend)
    with pytest.raises(InputError, match="beyond its budget"), db.session() as s:
        tasks.record_amount(s, ANA, quarter=4, amount="12500.01", **spend)
    # move £1,000 of T-001's Home Office Q4 profile to T-002 Q4
    lines = ["T-001:home_office:2020/21:Q4:-1000.00", "T-002:home_office:2020/21:Q4:1000.00"]
    with db.session() as s:
        rp = tasks.propose_reprofile(
            s, ANA, reason="T-002 took on 40 more referrals in Q4", lines=lines
        )
    with pytest.raises(InputError, match="beyond its budget"), db.session() as s:
        tasks.record_amount(
            s, ANA, quarter=4, amount="13500.00", **spend
        )  # proposed is not approved
    with pytest.raises(InputError, match="someone else must approve"), db.session() as s:
        tasks.decide_reprofile(s, ANA, rp["id"], approve=True)
    with db.session() as s:
        tasks.decide_reprofile(s, BEN, rp["id"], approve=True, note="agreed at the finance meeting")
        tasks.record_amount(s, ANA, quarter=4, amount="13500.00", **spend)
        prof = finance.profile(s, 2020)
    with db.session() as s:
        ids = {p.ref: p.id for p in s.scalars(select(Programme))}
        ho = register.source_by_code(s, "home_office")
        assert ho is not None
    assert prof[(ids["T-002"], ho.id, 2020, 4)] == pence("13500")
    assert prof[(ids["T-001"], ho.id, 2020, 4)] == pence("9000")
    # reversing it would leave T-002's recorded spend beyond its budget: refused
    with (
        pytest.raises(InputError, match="reversing this reprofile would break a money rule"),
        db.session() as s,
    ):
        tasks.reverse_reprofile(s, BEN, rp["id"], reason="the referrals did not come")
    with db.session() as s:
        tasks.record_amount(s, ANA, quarter=4, amount="12500.00", **spend)
        tasks.reverse_reprofile(s, BEN, rp["id"], reason="the referrals did not come")
        after = finance.profile(s, 2020)
        trail = [
            (e.action, e.user_email)
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.target == f"reprofile:{rp['id']}")
                .order_by(AuditEvent.id)
            )
        ]
        assert s.get(Reprofile, rp["id"]).status == "reversed"  # type: ignore[union-attr]
    assert after[(ids["T-002"], ho.id, 2020, 4)] == pence("12500")  # exactly as before
    assert after[(ids["T-001"], ho.id, 2020, 4)] == pence("10000")
    assert trail == [
        ("reprofile_proposed", ANA.email),
        ("reprofile_approved", BEN.email),
        ("reprofile_reversed", BEN.email),
    ]


def test_funder_rules_for_reprofiling(db: Database, tmp_path: Path) -> None:
    portfolio(db, tmp_path)
    with (
        pytest.raises(InputError, match="Home Office money must be spent in the year"),
        db.session() as s,
    ):
        tasks.propose_reprofile(
            s,
            ANA,
            reason="carry it into next year",
            lines=["T-001:home_office:2020/21:Q4:-1000", "T-001:home_office:2021/22:Q1:1000"],
        )
    with (
        pytest.raises(
            InputError,
            match=r"the VRU Core Budget \(Mayoral funding\) lines add up to -£500\.00, not zero",
        ),
        db.session() as s,
    ):
        tasks.propose_reprofile(
            s,
            ANA,
            reason="a typo in the second line",
            lines=["T-001:mayor_core:2020/21:Q4:-1000", "T-001:mayor_core:2020/21:Q1:500"],
        )
    with (
        pytest.raises(InputError, match="profile for 2020/21 Q1 would be negative"),
        db.session() as s,
    ):
        tasks.propose_reprofile(
            s,
            ANA,
            reason="more than the quarter holds",
            lines=["T-001:mayor_core:2020/21:Q1:-6000", "T-001:mayor_core:2020/21:Q2:6000"],
        )
    # Mayoral core money may move between years (multi-year funding)
    with db.session() as s:
        rp = tasks.propose_reprofile(
            s,
            ANA,
            reason="the programme starts late, move Q4 into next year",
            lines=["T-001:mayor_core:2020/21:Q4:-5000", "T-001:mayor_core:2021/22:Q1:5000"],
        )
        tasks.decide_reprofile(s, BEN, rp["id"], approve=True)
        d = tasks.finance_dashboard(s, 2020, chart=False)
    row = d.programmes[
        (d.programmes["programme_ref"] == "T-001") & (d.programmes["source_code"] == "mayor_core")
    ].iloc[0]
    assert row["profile"] == pence("15000")


def test_finance_dashboard_flags_underspend_risk(db: Database, tmp_path: Path) -> None:
    portfolio(db, tmp_path)
    with db.session() as s:
        for q, amount in ((1, "2000"), (2, "2500")):  # T-002 spends a fifth of its profile
            tasks.record_amount(
                s,
                ANA,
                kind="spend",
                programme_ref="T-002",
                source="home_office",
                financial_year=2020,
                quarter=q,
                amount=amount,
            )
        for q in (1, 2):
            tasks.record_amount(
                s,
                ANA,
                kind="spend",
                programme_ref="T-001",
                source="home_office",
                financial_year=2020,
                quarter=q,
                amount="10000",
            )
        tasks.record_amount(
            s,
            ANA,
            kind="forecast",
            programme_ref="T-002",
            source="home_office",
            financial_year=2020,
            quarter=3,
            amount="3000",
        )
        d = tasks.finance_dashboard(s, 2020)
    assert d.as_of == 2
    t2 = d.programmes[d.programmes["programme_ref"] == "T-002"].iloc[0]
    # outturn = actual Q1-Q2 + forecast Q3 + profile Q4 = 2,000 + 2,500 + 3,000 + 12,500
    assert t2["outturn"] == pence("20000") and t2["variance"] == -pence("30000")
    assert t2["risk"] == "high" and "must be spent in-year" in t2["risk_reason"]
    t1 = d.programmes[
        (d.programmes["programme_ref"] == "T-001") & (d.programmes["source_code"] == "mayor_core")
    ].iloc[0]
    assert t1["missing_quarters"] == "Q1,Q2" and "no spend reported for Q1, Q2" in t1["risk_reason"]
    assert d.programmes.iloc[0]["risk"] == "high"  # highest risk first
    ho = d.by_source[d.by_source["source_code"] == "home_office"].iloc[0]
    assert ho["budget"] == pence("100000") and ho["committed"] == pence("90000")
    assert d.chart_svg.startswith("<svg")


# -- the optimistic lock ---------------------------------------------------------------------------


def test_concurrent_edits_of_a_programme(db: Database, tmp_path: Path) -> None:
    portfolio(db, tmp_path)
    with db.session() as s:
        v = register.require_programme(s, "T-001").version
        register.update_programme(s, ANA, "T-001", expected_version=v, values={"status": "paused"})
    with (
        pytest.raises(
            EditConflict,
            match=r"was changed by ana@vru\.test\.invalid .* your changes were not saved",
        ),
        db.session() as s,
    ):
        register.update_programme(
            s, BEN, "T-001", expected_version=v, values={"name": "Ben's name"}
        )
    # a true race: both sessions read the same version, the second write is refused
    s1, s2 = db.sessions(), db.sessions()
    try:
        p1, p2 = register.require_programme(s1, "T-001"), register.require_programme(s2, "T-001")
        assert p1.version == p2.version
        register.update_programme(
            s1, ANA, "T-001", expected_version=p1.version, values={"status": "active"}
        )
        s1.commit()
        with pytest.raises(EditConflict, match="while you were saving"):
            register.update_programme(
                s2, BEN, "T-001", expected_version=p2.version, values={"name": "lost update"}
            )
        s2.rollback()
    finally:
        s1.close()
        s2.close()
    with db.session() as s:
        p = register.require_programme(s, "T-001")
        assert p.name == "Alpha mentoring" and p.status == "active"


# -- returns ----------------------------------------------------------------------------------------


def test_returns_round_trip_template_filled_imported_reported(db: Database, tmp_path: Path) -> None:
    portfolio(db, tmp_path)
    with db.session() as s:
        template, name = tasks.return_template(s, "T-001", 2020, 1)
    assert name == "return-T-001-2020-21-Q1.xlsx"
    values = {
        "people_reached_new": 40,
        "young_people_supported": 31,
        "sessions_delivered": 12,
        "mentoring_hours": 96,
    }
    filled = fill(template, values, spend={"home_office": 9800.5, "mayor_core": 5000})
    with db.session() as s:
        res = tasks.submit_return(s, ANA, filled, "q1.xlsx")
    assert (res.status, res.revision, res.values["mentoring_hours"]) == ("stored", 1, 96)
    with db.session() as s:
        again = tasks.submit_return(s, ANA, filled, "q1.xlsx")
    assert again.status == "unchanged"
    # a correction replaces it as revision 2; both are kept
    corrected = fill(
        template,
        values | {"people_reached_new": 45, "young_people_supported": 33},
        spend={"home_office": 9800.5},
    )
    with db.session() as s:
        res2 = tasks.submit_return(s, ANA, corrected, "q1-corrected.xlsx")
        statuses = [
            (r.revision, r.status)
            for r in s.scalars(select(MonitoringReturn).order_by(MonitoringReturn.revision))
        ]
        spend_rows = {
            (x.funding_source_id, x.amount_pence, x.origin) for x in s.scalars(select(Spend))
        }
        ho, core = (register.source_by_code(s, c).id for c in ("home_office", "mayor_core"))  # type: ignore[union-attr]
        doc = tasks.delivery_tables(s, 2020).to_dict()
        page = tasks.programme_page(s, "T-001", 2020).to_dict()
    assert res2.replaced_revision == 1 and statuses == [(1, "superseded"), (2, "current")]
    # the corrected return's spend replaces the first one's (Mayoral core now £0)
    assert spend_rows == {(ho, 980050, "return:2"), (core, 0, "return:2")}
    target = {r["measure_code"]: r for r in doc["reach_against_targets"]}
    assert target["people_reached_new"]["progress"] == "45 of 200"
    assert (
        target["young_people_supported"]["achieved"] == 33
        and "computed from 1 current return" in target["young_people_supported"]["basis"]
    )
    out = {r["measure"]: r for r in page["outputs"]}
    assert out["people_reached_new"]["Q1"] == 45 and out["mentoring_hours"]["year"] == 96
    assert {r["category"]: r["count"] for r in doc["reach_breakdown"] if r["dimension"] == "sex"}[
        "Female"
    ] == 45


def test_register_level_problems_refuse_the_whole_return(db: Database, tmp_path: Path) -> None:
    portfolio(db, tmp_path)
    with db.session() as s:
        template, _ = tasks.return_template(s, "T-002", 2020, 3)
    too_much = fill(template, {"people_reached_new": 5}, spend={"home_office": 50000.01})
    with pytest.raises(ReturnRejected) as e, db.session() as s:
        tasks.submit_return(s, ANA, too_much, "q3.xlsx")
    assert (
        e.value.issues[0]
        .text()
        .startswith(
            "sheet 'Spend', row 2, column 'Amount (£)': programme T-002: spend from Home Office in 2020/21 would be £50,000.01, beyond its budget"
        )
    )
    with (
        pytest.raises(ReturnRejected, match="this return is for programme T-002, not T-001"),
        db.session() as s,
    ):
        tasks.submit_return(s, ANA, fill(template, {}), "q3.xlsx", for_programme="T-001")
    # a provider of another organisation
    with db.session() as s:
        alpha = register.require_programme(s, "T-001").organisations[0].organisation_id
    with (
        pytest.raises(ReturnRejected, match="not one your organisation leads or delivers"),
        db.session() as s,
    ):
        tasks.submit_return(
            s, ANA, fill(template, {}), "q3.xlsx", org_codes=frozenset({str(alpha)})
        )
    unknown = fill(template, {})
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(unknown))
    wb["About"]["B4"] = "T-404"
    buf = io.BytesIO()
    wb.save(buf)
    with (
        pytest.raises(ReturnRejected, match="no programme 'T-404' in the register"),
        db.session() as s,
    ):
        tasks.submit_return(s, ANA, buf.getvalue(), "q3.xlsx")
    with db.session() as s:
        assert count(s, MonitoringReturn) == 0 and count(s, Spend) == 0


# -- 360Giving ------------------------------------------------------------------------------------


GRANTS = (
    "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
    "Funding Org:Identifier,Funding Org:Name,Grant Programme:Code,Grant Programme:Title,vrkit:Theme,vrkit:Funding Source\n"
    "360G-test-0001,Mentoring 2020,One-to-one mentoring,GBP,40000,2020-04-15,GB-CHC-1000001,Alpha Youth Trust,GB-GOR-TEST,Test VRU,T-001,Alpha mentoring,VCS/community,home_office\n"
    "360G-test-0002,Boxing 2020,Boxing and mentoring,GBP,50000.5,2020-05-01,GB-CHC-1000002,Beta Boxing Club,GB-GOR-TEST,Test VRU,T-009,Beta boxing 2,Health,home_office\n"
)


def test_360giving_export_validates_and_round_trips(
    db: Database, tmp_path: Path, pg_server: str
) -> None:
    portfolio(db, tmp_path)
    (tmp_path / "grants.csv").write_text(GRANTS, encoding="utf-8")
    with db.session() as s:
        (summary,) = tasks.import_delivery(s, ANA, [tmp_path / "grants.csv"])
        assert summary.counts["grants created"] == 2 and summary.counts["programmes known"] == 1
        assert register.require_programme(s, "T-001").name == "Alpha mentoring", (
            "register details kept"
        )
        export = tasks.export_360giving(s, ANA, prefix="360G-test")
    assert export.validated and export.schema_version and export.schema_version.startswith("1.4")
    # independent check with jsonschema against the shared schema files
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from vrkit.sources.delivery.giving360 import schema_dir

    pkg = json.loads((schema_dir() / "360-giving-package-schema.json").read_text())
    grant = json.loads((schema_dir() / "360-giving-schema.json").read_text())
    ref = pkg["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resources(
        [(u, DRAFT202012.create_resource(grant)) for u in (ref, grant["$id"])]
    )
    v = jsonschema.Draft202012Validator
    v(pkg, registry=registry, format_checker=v.FORMAT_CHECKER).validate(export.package)
    by_id = {g["id"]: g for g in export.package["grants"]}
    assert by_id["360G-test-0002"]["amountAwarded"] == 50000.5
    assert by_id["360G-test-0001"]["beneficiaryLocation"][0] == {
        "name": "Lambeth",
        "geoCode": "E09000022",
        "geoCodeType": "LAD",
    }
    # both formats go back into a fresh database and give the same grants
    for fmt in ("json", "csv", "xlsx"):
        path = export.write(tmp_path / f"out.{fmt}")
        for url in _fresh_database(pg_server):
            fresh = Database(url)
            fresh.migrate()
            with fresh.session() as s:
                tasks.import_delivery(s, ANA, [path])
                again = tasks.export_360giving(s, ANA, prefix="360G-test")
            fresh.dispose()
            strip = [
                {k: v for k, v in g.items() if k != "vrkit"} | {"vrkit": g.get("vrkit", {})}
                for g in again.package["grants"]
            ]
            assert [g["id"] for g in strip] == [g["id"] for g in export.package["grants"]]
            assert [g["amountAwarded"] for g in strip] == [
                g["amountAwarded"] for g in export.package["grants"]
            ]


def test_invalid_360giving_is_refused(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "grants": [
                    {"id": "360G-x-1", "title": "t", "currency": "GBP", "amountAwarded": "lots"}
                ]
            }
        )
    )
    with (
        pytest.raises(DataValidationError, match="does not validate against the 360Giving schema"),
        db.session() as s,
    ):
        tasks.import_delivery(s, ANA, [bad])
    with db.session() as s:
        assert count(s, Programme) == 0


# -- the logic model ------------------------------------------------------------------------------


def test_logic_model_versions_and_live_progress(
    db: Database, tmp_path: Path, warehouse_path: Path
) -> None:
    from vrkit.store.warehouse import Warehouse

    with db.session() as s:
        tasks.import_delivery(s, ANA, [EXAMPLE])
        exported = tasks.export_logic_model(s)
    exported["nodes"][0]["indicators"].append(
        {"kind": "local", "ref": "survey", "label": "Local survey", "direction": "up"}
    )
    path = tmp_path / "model.json"
    path.write_text(json.dumps(exported))
    with db.session() as s:
        _name, version, created, changes = tasks.import_logic_model(s, ANA, path)
        assert (version, created) == (2, True) and changes == ["node I1: indicators changed"]
        assert tasks.import_logic_model(s, ANA, path)[1:3] == (2, False)
        with Warehouse(warehouse_path, read_only=True) as wh:
            view = tasks.logic_model_view(s, wh, 2020)
        old = tasks.logic_model_view(s, None, 2020, version=1)
    assert view.version == 2 and [v["version"] for v in view.versions] == [1, 2]
    impact = next(n for n in view.nodes if n["label"] == "Violence in London is stable and reduced")
    ind = {i["ref"]: i for i in impact["indicators"]}
    vwi = ind["measure:violence_with_injury"]["progress"]
    assert vwi["status"] == "live" and vwi["latest_period"] >= "2020/21"
    assert vwi["vs_previous"]["verdict"] in ("fell", "rose", "no significant change")
    assert ind["homicide_under_25"]["progress"]["status"] == "live"
    assert ind["hes:assault_sharp_object_under_25"]["progress"]["status"] == "no data"
    assert "not loaded" in ind["hes:assault_sharp_object_under_25"]["progress_text"]
    assert ind["measure:knife_enabled_serious_violence"]["progress"]["status"] == "no data"
    objective = next(n for n in view.nodes if n["code"] == "SO5")
    assert len(objective["programmes"]) >= 4  # education programmes serve objective 5
    first = next(n for n in view.nodes if n["code"] == "I1")
    assert (
        len(next(n for n in old.nodes if n["code"] == "I1")["indicators"])
        == len(first["indicators"]) - 1
    )


# -- SYNTHETIC -----------------------------------------------------------------------------------


def test_synthetic_portfolio_is_seeded_labelled_and_loads(db: Database, tmp_path: Path) -> None:
    a = tasks.synth_programmes(
        tmp_path / "a", programmes=8, financial_year=2021, quarters=2, seed=7
    )
    b = tasks.synth_programmes(
        tmp_path / "b", programmes=8, financial_year=2021, quarters=2, seed=7
    )
    for f in ("programmes.csv", "profile.csv", "targets.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert len(a.returns) == 16 and len(b.returns) == 16
    assert "SYNTHETIC" in (tmp_path / "a" / "SYNTHETIC.txt").read_text()
    with db.session() as s:
        (summary,) = tasks.import_delivery(s, ANA, [tmp_path / "a"])
        d = tasks.finance_dashboard(s, 2021, chart=False)
        t = tasks.delivery_tables(s, 2021)
    assert summary.counts["programmes created"] == 8 and summary.counts["returns stored"] == 16
    assert summary.data_label == "SYNTHETIC"
    assert d.as_of == 2 and set(d.programmes["data_label"]) == {"SYNTHETIC"}
    assert "SYNTHETIC" in d.notes[0] and t.data_labels == ["SYNTHETIC"]
    # programmes set to spend at 45-75 % of their profile: at least a medium risk once two
    # quarters are reported (the later quarters are forecast at their profile)
    risk = d.programmes.groupby("programme_ref")["risk"].agg(set)
    assert a.underspending and all(risk[r] & {"medium", "high"} for r in a.underspending)
    html = t.write_all(tmp_path / "out", ["html"])[0].read_text()
    assert "This report contains SYNTHETIC data" in html


def test_the_database_enforces_money_and_counts(db: Database, tmp_path: Path) -> None:
    """Belt and braces: the schema refuses negative amounts and quarters outside 1-4."""
    portfolio(db, tmp_path)
    from sqlalchemy.exc import IntegrityError

    for sql in (
        "UPDATE commitment SET amount_pence = -1",
        "UPDATE commitment SET quarter = 5",
    ):
        with pytest.raises(IntegrityError), db.engine.begin() as con:
            con.execute(text(sql))


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path) -> Iterator[None]:
    yield
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_migrations_create_what_the_models_declare(db: Database) -> None:
    """The migrations (0001 portal, 0002 delivery, 0003 directory and plans) and the models of
    every feature agree (no drift Alembic could autogenerate), whatever was imported before."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import vrkit.ops.delivery.models
    import vrkit.ops.directory.models
    import vrkit.ops.plans.models  # noqa: F401 - each feature's tables join Base.metadata
    from vrkit.ops.models import Base

    with db.engine.connect() as con:
        assert compare_metadata(MigrationContext.configure(con), Base.metadata) == []
