from __future__ import annotations

import pyarrow as pa

from hospeval.model import TABLES, code_sets, cost_columns, metrics, table_spec, top_cost_columns
from hospeval.warehouse import Warehouse


def test_every_table_spec_loads_with_labels_and_key():
    for name in TABLES:
        spec = table_spec(name)
        assert spec.name == name
        assert set(spec.primary_key) <= set(spec.names)
        assert all(c.label_zh for c in spec.columns), name
        assert len(spec.names) == len(set(spec.names)), name


def test_coded_columns_reference_existing_code_sets():
    sets = code_sets()
    for name in TABLES:
        for c in table_spec(name).columns:
            if c.codes and c.codes not in ("department", "metric"):
                assert c.codes in sets, (name, c.name, c.codes)
    assert sets["discharge_disposition"]["5"] == ("死亡", "death")


def test_cost_categories_and_sub_items():
    tops, subs = top_cost_columns(), set(cost_columns()) - set(top_cost_columns())
    assert len(tops) == 24 and subs == {"cost_physical_therapy", "cost_anaesthesia", "cost_surgery",
                                       "cost_antibiotics"}
    stays = table_spec("stays")
    for sub in subs:
        assert stays.column(sub).parent in tops


def test_metrics_catalogue_has_units_and_sources():
    for name, m in metrics().items():
        assert m["unit"] and m["source"] in {"finance", "staff", "report", "survey", "platform"}, name


def test_warehouse_tables_match_arrow_schema():
    with Warehouse(":memory:") as wh:
        wh.ensure_schema()
        for name in TABLES:
            arrow = wh.to_arrow(name).schema
            expected = table_spec(name).arrow_schema()
            assert arrow.names == expected.names
            assert arrow.field("stay_id" if "stay_id" in arrow.names else arrow.names[0]).type == pa.string()
