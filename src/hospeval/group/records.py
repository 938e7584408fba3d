"""Grouping a file of records in the reference layout (one row per stay, codes pipe-separated).

The layout is that of ``reference/chs-drg-1.1/golden-sample.csv``: record_id, sex, age_years, age_days,
birth_weight_g, dept_code, los_days, discharge_status, diagnoses, procedures (principal first). The file is
turned into the canonical ``stays`` / ``stay_diagnoses`` / ``stay_procedures`` shape in an in-memory
warehouse and grouped by the same engine as the warehouse; results are written with the reference's
status vocabulary (分组成功 / 无法入组 / 信息校验不通过) and its placeholders for no group (0000 / 00 / 0000).
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv

from hospeval.errors import InputFileError
from hospeval.group.engine import group_stays
from hospeval.group.spec import load_scheme
from hospeval.warehouse import Warehouse

RECORD_COLUMNS = ("record_id", "sex", "age_years", "age_days", "birth_weight_g", "dept_code", "los_days",
                  "discharge_status", "diagnoses", "procedures")
REFERENCE_STATUS = {"grouped": "分组成功", "ungroupable": "无法入组", "error": "信息校验不通过"}
NO_GROUP = {"mdc": "0000", "adrg": "00", "drg": "0000"}


def read_records(path: Path) -> pa.Table:
    """Read a record file as strings; raise :class:`InputFileError` naming a missing column."""
    try:
        header = path.open(encoding="utf-8-sig").readline().strip().split(",")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read record file: {exc}", file=str(path)) from exc
    for col in RECORD_COLUMNS:
        if col not in header:
            raise InputFileError("record file lacks a column", file=str(path), field=col)
    opts = pacsv.ConvertOptions(column_types={c: pa.string() for c in header}, strings_can_be_null=False,
                                quoted_strings_can_be_null=False)
    try:
        return pacsv.read_csv(path, convert_options=opts)
    except pa.ArrowInvalid as exc:
        raise InputFileError(f"malformed CSV: {exc}", file=str(path)) from exc


def _int(col: ir.StringValue, to: str) -> ir.IntegerValue:
    text = col.strip()
    return ibis.ifelse(text == "", ibis.null(to), text.try_cast("float64").cast(to))


def records_to_canonical(records: ir.Table) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Stays, diagnoses and procedures (long, seq 0 = principal) from a table of records."""
    stays = records.select(
        stay_id=records.record_id,
        sex=records.sex.strip(),
        age_years=_int(records.age_years, "int32"),
        age_days=_int(records.age_days, "int32"),
        birth_weight_g=_int(records.birth_weight_g, "int32"),
        discharge_dept=records.dept_code.strip(),
        los_days=_int(records.los_days, "int32"),
        discharge_disposition=records.discharge_status.strip(),
    )

    def long(col: str) -> ir.Table:
        parts = records.select(stay_id=records.record_id, code=records[col].re_split(r"[|,]"),
                               raw=records[col])
        parts = parts.filter(parts.raw.strip() != "").drop("raw")
        out = parts.unnest("code", offset="seq")
        return out.select("stay_id", seq=out.seq.cast("int16"), code=out.code)

    return stays, long("diagnoses"), long("procedures")


def group_file(input_path: Path, output_path: Path, scheme_name: str, *, code_policy: str = "exact",
               explain: bool = False) -> dict:
    """Group a record file and write record_id,status,mdc,adrg,drg (plus reason, explanation if ``explain``).

    Returns counts per status.
    """
    scheme = load_scheme(scheme_name)
    records = read_records(input_path)
    with Warehouse(":memory:") as wh:
        stays, dx, px = records_to_canonical(wh.scratch("_records", records))
        result = group_stays(wh, scheme, stays, dx, px, code_policy=code_policy)
        out = result.select(
            record_id=result.stay_id,
            status=result.status.cases(*REFERENCE_STATUS.items()),
            mdc=result.mdc.fill_null(NO_GROUP["mdc"]),
            adrg=result.adrg.fill_null(NO_GROUP["adrg"]),
            drg=result.drg.fill_null(NO_GROUP["drg"]),
            **({"reason": result.reason, "explanation": result.explanation} if explain else {}),
        ).order_by("record_id")
        table = wh.to_arrow(out)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, output_path)
    counts: dict[str, int] = {}
    for status in table.column("status").to_pylist():
        counts[status] = counts.get(status, 0) + 1
    return counts
