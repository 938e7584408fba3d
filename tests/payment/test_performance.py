"""Performance-pay inputs, hand-computed; the formula compiler accepts only arithmetic on metrics."""

from __future__ import annotations

import dataclasses

import ibis
import pyarrow as pa
import pytest
from payment_fixtures import make_warehouse, stay

from hospeval.errors import SchemaError
from hospeval.payment.performance import compile_formula, load_performance_spec, scores

# dept 03: doctor D1 two stays of A (weight 1, mean cost 1000, mean LOS 5) at cost 1500 / 500, LOS 5 / 10;
#          doctor D2 one stay of B (weight 3, mean cost 3000, mean LOS 6) at cost 3000, LOS 3, died.
STAYS = [stay("p1", "H3", 1500.0, los=5, doctor="D1"), stay("p2", "H3", 500.0, los=10, doctor="D1"),
         stay("p3", "H3", 3000.0, los=3, doctor="D2", disp="5")]
GROUPS = [("p1", "grouped", "A"), ("p2", "grouped", "A"), ("p3", "grouped", "B")]
REF = [("A", 1.0, 1000.0, 5.0), ("B", 3.0, 3000.0, 6.0)]


@pytest.fixture
def wh():
    w = make_warehouse(STAYS, groups=GROUPS, drg_ref=REF)
    w.replace("quality_findings", pa.Table.from_pylist([
        {"stay_id": "p1", "hospital_id": "H3", "rule_id": "R1", "severity": "error", "category": "c",
         "field": "f", "value": "v", "message_zh": "", "message_en": ""},
        {"stay_id": "p1", "hospital_id": "H3", "rule_id": "R2", "severity": "warning", "category": "c",
         "field": "f", "value": "v", "message_zh": "", "message_en": ""}]))
    yield w
    w.close()


def _spec(score="cmi"):
    return dataclasses.replace(load_performance_spec(), scheme="test-drg", score=score)


def test_doctor_and_dept_metrics(wh):
    rows = {(r["level"], r["unit_id"]): r for r in scores(wh, _spec()).to_pyarrow().to_pylist()}
    d1 = rows[("doctor", "D1")]
    assert (d1["cases"], d1["total_weight"], d1["cmi"]) == (2, 2.0, 1.0)
    assert d1["cost_index"] == 1.0      # (1.5 + 0.5) / 2
    assert d1["time_index"] == 1.5      # (1 + 2) / 2
    assert d1["quality_penalty"] == 60.0   # (1.0 + 0.2) points / 2 cases x 100
    assert d1["weight_share"] == 0.4    # 2 / 5
    dept = rows[("dept", "03")]
    assert (dept["cases"], dept["total_weight"], dept["cmi"]) == (3, 5.0, pytest.approx(1.6667))
    assert dept["mortality"] == pytest.approx(0.3333)


def test_formula_is_data(wh):
    rows = {(r["level"], r["unit_id"]): r for r in
            scores(wh, _spec("10 * cmi - max(time_index - 1, 0) * 4 - quality_penalty / 10")).to_pyarrow().to_pylist()}
    assert rows[("doctor", "D1")]["score"] == pytest.approx(10 * 1.0 - 0.5 * 4 - 6.0)
    assert rows[("doctor", "D2")]["score"] == pytest.approx(30.0)


def test_formula_rejects_code():
    names = {"cmi": ibis.literal(1.0)}
    for bad in ("__import__('os')", "cmi.real", "unknown + 1", "cmi ** 2", "[cmi]"):
        with pytest.raises(SchemaError):
            compile_formula(bad, names)


def test_without_reference_uses_the_stays(wh):
    wh.con.execute("DROP TABLE drg_reference")
    rows = {(r["level"], r["unit_id"]): r for r in scores(wh, _spec()).to_pyarrow().to_pylist()}
    # A mean cost 1000 -> weight 1000 / (5000 / 3) = 0.6; cost index of D1 still (1.5 + 0.5) / 2
    assert rows[("doctor", "D1")]["cost_index"] == 1.0
    assert rows[("doctor", "D1")]["total_weight"] == pytest.approx(1.2)
