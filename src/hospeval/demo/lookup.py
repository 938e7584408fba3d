"""Find the case template behind each generated stay (for tests and for checking other stages).

A stay's diagnosis and procedure codes, in order, identify its template exactly (the template codes are
never altered, not even by planted errors), so the expected MDC / ADRG / DRG of the reference grouper and
the template's clinical traits can be joined back to the warehouse.

Caveat for grouper checks: the generator jitters ages (within the newborn / child / adult bands), draws
its own LOS and sets sex for MDC M / N / O, so on the few groups split by age or LOS a correct grouper may
differ from the template's expected DRG; the golden sample itself is the exact reference.
"""

from __future__ import annotations

import pyarrow as pa

from hospeval.demo.templates import KIND_NAMES, load_templates
from hospeval.warehouse import Warehouse

# Ordered string aggregation is the one thing written in DuckDB SQL here.
_SIGNATURES = """
SELECT s.stay_id,
       coalesce(d.codes, '') || '#' || coalesce(p.codes, '') AS signature
FROM stays s
LEFT JOIN (SELECT stay_id, string_agg(code, '|' ORDER BY seq) AS codes FROM stay_diagnoses GROUP BY stay_id) d
  USING (stay_id)
LEFT JOIN (SELECT stay_id, string_agg(code, '|' ORDER BY seq) AS codes FROM stay_procedures GROUP BY stay_id) p
  USING (stay_id)
"""


def template_table() -> pa.Table:
    """Return one row per template: signature, template_id, mdc, adrg, drg, kind and traits."""
    t = load_templates()
    return pa.table({
        "signature": pa.array(t.signature().tolist(), pa.string()),
        "template_id": pa.array(t.template_id.tolist(), pa.string()),
        "mdc": pa.array(t.mdc.tolist(), pa.string()),
        "adrg": pa.array(t.adrg.tolist(), pa.string()),
        "drg": pa.array(t.drg.tolist(), pa.string()),
        "kind": pa.array([KIND_NAMES[int(k)] for k in t.kind], pa.string()),
        "relative_weight": pa.array(t.relative_weight, pa.float64()),
        "death_risk": pa.array(t.death_risk, pa.float64()),
        "low_risk": pa.array(t.low_risk, pa.bool_()),
    })


def stay_templates(warehouse: Warehouse) -> pa.Table:
    """Return ``stay_id`` with its template's columns (see :func:`template_table`) for every stay."""
    con = warehouse.con
    con.register("__demo_templates", template_table())
    try:
        return con.execute(f"SELECT s.stay_id, t.* EXCLUDE (signature) FROM ({_SIGNATURES}) s "
                           "JOIN __demo_templates t USING (signature) ORDER BY s.stay_id").to_arrow_table()
    finally:
        con.unregister("__demo_templates")
