"""The enriched stays a run stores keep only what the indicator measures read."""

from __future__ import annotations

from hospeval.demo.generator import generate_province
from hospeval.indicators.compile import KEY_COLUMNS, enriched_stays, measure_names, stay_columns
from hospeval.indicators.expr import names, parse
from hospeval.indicators.spec import load_fields, load_sets
from hospeval.warehouse import Warehouse


def test_stay_columns_keeps_the_keys_and_every_column_a_measure_reads_and_nothing_else():
    with Warehouse(":memory:") as wh:
        generate_province(wh, stays=300, seed=11)
        enriched = enriched_stays(wh, load_fields())
        measures = measure_names([i for s in load_sets(None) for i in s.indicators if i.computable])
        read = set().union(*(names(parse(t)) for m in measures.values() if not m.is_fact
                             for t in (m.where, m.of) if t))
        narrow = stay_columns(enriched, measures)
        kept = set(narrow.columns)
        assert kept == ({"stay_id", *KEY_COLUMNS} | read) & set(enriched.columns)
        assert {"los_days", "death", "relative_weight"} <= kept  # read by the efficiency and safety sets
        assert not {"patient_id", "birth_date", "admit_time"} & kept  # no measure reads these
        assert len(kept) < len(enriched.columns) / 2
        assert wh.to_arrow(narrow).num_rows == wh.count("stays")
