"""Operations and budget execution, hand-computed."""

from __future__ import annotations

import pytest
from payment_fixtures import make_warehouse, stay

from hospeval.errors import InputFileError
from hospeval.payment.budget import EXECUTION, read_budget, run_budget
from hospeval.payment.operations import EFFICIENCY, REVENUE, run_operations

STAYS = [
    stay("o1", "H3", 1000.0, los=2, cost_western_drugs=400.0, cost_chinese_patent_drugs=100.0),
    stay("o2", "H3", 3000.0, los=4),
    stay("o3", "H3", 2000.0, los=6),
]
FACTS = [("2024", "revenue_total", 1_000_000), ("2024", "revenue_medical", 800_000),
         ("2024", "revenue_drugs", 200_000), ("2024", "revenue_medical_service", 300_000),
         ("2024", "revenue_consumables", 100_000), ("2024", "revenue_exam_lab", 150_000),
         ("2024", "expense_energy", 20_000), ("2024", "bed_days_open", 36_600),
         ("2024-01", "bed_days_occupied", 1000), ("2024-02", "bed_days_occupied", 1200),
         ("2024-01", "beds_open", 90), ("2024-02", "beds_open", 110), ("2024-01", "revenue_drugs", 12_000)]


@pytest.fixture
def wh():
    facts = [{"hospital_id": "H3", "period": p, "metric": m, "value": float(v)} for p, m, v in FACTS]
    w = make_warehouse(STAYS, groups=[("o1", "grouped", "A"), ("o2", "grouped", "A"), ("o3", "grouped", "B")],
                       drg_ref=[("A", 1.0, 2000.0, 4.0), ("B", 2.0, 3000.0, 5.0)], facts=facts)
    yield w
    w.close()


def test_efficiency(wh):
    run_operations(wh, scheme="test-drg")
    row = [r for r in wh.table(EFFICIENCY).to_pyarrow().to_pylist() if r["hospital_id"] == "H3"][0]
    assert row["period"] == "2024" and row["discharges"] == 3
    assert row["cost_per_case"] == 2000.0
    assert row["total_weight"] == 4.0 and row["cost_per_weight"] == 1500.0   # 6000 / (1 + 1 + 2)
    assert row["avg_los"] == 4.0
    assert row["beds"] == 100.0                   # mean of the monthly 90 and 110
    assert row["bed_days_occupied"] == 2200.0     # monthly rows summed, no annual row
    assert row["occupancy"] == pytest.approx(round(2200 / 36600, 4))
    assert row["turnover"] == 0.03
    assert row["energy_per_10k_income"] == 200.0  # 20000 / (1e6 / 1e4)


def test_revenue_structure(wh):
    run_operations(wh, scheme="test-drg")
    rows = {(r["source"], r["line"]): r for r in wh.table(REVENUE).to_pyarrow().to_pylist()}
    assert rows[("finance", "revenue_drugs")]["share"] == 0.25          # 200k / 800k
    assert rows[("finance", "revenue_medical_service")]["share"] == 0.375
    assert rows[("front_page", "inpatient_drugs")]["share"] == pytest.approx(round(500 / 6000, 4))


def test_budget_execution(wh, tmp_path):
    p = tmp_path / "budget.csv"
    p.write_text("hospital_id,period,line,amount\nH3,2024-01,revenue_drugs,10000\n"
                 "H3,2024-03,inpatient_cost_total,6000\nH3,2024-03,inpatient_discharges,3\n"
                 "H3,2024-04,inpatient_cost_total,100\n", encoding="utf-8")
    n, flagged = run_budget(wh, p)
    rows = {(r["period"], r["line"]): r for r in wh.table(EXECUTION).to_pyarrow().to_pylist()}
    assert n == 4 and flagged == 1
    drugs = rows[("2024-01", "revenue_drugs")]
    assert (drugs["actual"], drugs["variance"], drugs["execution_rate"], drugs["flagged"]) == (12000, 2000, 1.2, True)
    assert rows[("2024-03", "inpatient_cost_total")]["flagged"] is False
    assert rows[("2024-03", "inpatient_discharges")]["actual"] == 3
    assert rows[("2024-04", "inpatient_cost_total")]["actual"] is None   # no stays that month: not flagged
    _, flagged = run_budget(wh, p, threshold=0.25)
    assert flagged == 0


def test_bad_budget_rows_are_named(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("hospital_id,period,line,amount\nH3,2024-13,revenue_drugs,1\nH3,2024-01,nonsense,1\n"
                 "H3,2024-01,revenue_drugs,abc\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_budget(p)
    msg = str(err.value)
    assert "3 bad budget row(s)" in msg and "row 1 field period" in msg and "row 2 field line" in msg
    q = tmp_path / "c.csv"
    q.write_text("hospital,period\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="lacks column"):
        read_budget(q)
