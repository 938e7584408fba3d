"""The evaluate stage's only engine-specific code: retiring the old DuckDB view.

``evaluation_indicator_scores`` used to be a DuckDB view over ``evaluation_points``. It is now a table
rebuilt on every evaluate run (:func:`hospeval.evaluate.engine.write_indicator_scores`), so that it
exists on Spark too. DuckDB cannot replace a view by a table, so a DuckDB warehouse written by an older
version has its view dropped first. Spark warehouses never had the view: nothing to do there.
"""

from __future__ import annotations

from hospeval.warehouse import Warehouse


def drop_legacy_view(wh: Warehouse, name: str) -> None:
    """Drop view ``name`` of a DuckDB warehouse, so that a table of that name can be written."""
    if wh.engine != "duckdb":
        return
    row = wh.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                         [name]).fetchone()
    if row and row[0] == "VIEW":
        wh.drop(name)
