"""``Warehouse.cursor``: a second Warehouse over the same database for a job thread."""

from __future__ import annotations

from hospeval.warehouse import Warehouse


def test_cursor_sees_the_same_database_with_its_own_state():
    with Warehouse(":memory:") as wh:
        wh.con.execute("CREATE TABLE stored AS SELECT 1 AS x")
        wh.scratch("_mine", wh.table("stored"))
        wh.session_tables.add("_mine")
        job = wh.cursor()
        # every field __init__ sets exists on the cursor, with fresh per-connection values
        assert set(vars(job)) == set(vars(wh))
        assert job.path == wh.path and job.session_tables == set() and job._depth == 0
        assert job.count("stored") == 1  # same database, also for ":memory:"
        assert job.work_tables() == set()  # work tables belong to the connection that made them
        with job.transaction():
            job.append("stored", wh.to_arrow("stored"))
        assert wh.count("stored") == 2  # committed, so visible to the other cursor
        job.close()
        assert wh.count("stored") == 2  # closing the cursor leaves the warehouse open
