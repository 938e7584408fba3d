"""Write warehouse stays back out in an import layout (wide N041 / Chinese / HQMS front-page files).

Used by the demo (to exercise the real ingest path on generated data), by benchmarks and by tests.
Set-based: one ``COPY`` of a pivot query; GB18030 output is transcoded in streaming chunks.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from hospeval.ingest.profiles import load_profile
from hospeval.ingest.transform import lit, q
from hospeval.model import table_spec
from hospeval.warehouse import Warehouse

_SKIP = {"stay_id", "patient_id", "source_file", "source_row", "load_id"}
_CHUNK = 1 << 22


def _slot_columns(profile, kind: str, table: str, max_slots: int) -> list[tuple[int, str, str]]:
    """(seq, canonical field, header) for every slot the profile defines, up to ``max_slots`` per kind."""
    cols, seqs = [], set()
    for group in getattr(profile, kind):
        for seq, fields in group.slots():
            if seq in seqs or len(seqs) >= max_slots:
                continue
            seqs.add(seq)
            cols += [(seq, f, h) for f, h in fields.items() if f in table_spec(table).names]
    return cols


def export_front_page(warehouse: Warehouse, path: str | Path, *, profile: str = "n041_zh",
                      encoding: str = "utf-8", where: str | None = None, max_diagnoses: int = 16,
                      max_procedures: int = 8, synthetic_identifiers: bool = True) -> int:
    """Write stays (optionally filtered by a SQL ``where`` on ``stays``) in a profile's wide layout.

    A ``.parquet`` path writes Parquet (text columns, as an export from a hospital system would), any
    other path CSV in ``encoding``.

    With ``synthetic_identifiers`` the file gets a made-up 病案号 and 姓名 per stay, as a hospital export
    would have, so that ingest's pseudonymisation can be exercised. Returns the number of rows written.
    """
    prof = load_profile(profile)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    reverse = {v: {b: a for a, b in m.items()} for v, m in prof.values.items()}
    selects = []
    if synthetic_identifiers:
        mrn = prof.identifier_headers.get("medical_record_no")
        if mrn:
            selects.append(f"'BA' || right(s.stay_id, 12) AS {q(mrn)}")
        name_header = next((h for h in sorted(prof.drop) if h in ("姓名", "XM")), None)
        if name_header:
            selects.append(f"'患者' || right(s.patient_id, 4) AS {q(name_header)}")
    for col in table_spec("stays").columns:
        header = prof.headers.get(col.name)
        if col.name in _SKIP or header is None:
            continue
        expr = f"s.{q(col.name)}"
        if col.type == "timestamp":
            expr = f"strftime({expr}, '%Y-%m-%d %H:%M:%S')"
        elif col.type == "boolean":
            expr = f"CASE WHEN {expr} THEN '1' WHEN NOT {expr} THEN '0' END"
        if col.name in reverse:
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in reverse[col.name].items())
            expr = f"CASE CAST({expr} AS VARCHAR) {cases} ELSE CAST({expr} AS VARCHAR) END"
        selects.append(f"{expr} AS {q(header)}")
    joins = []
    for kind, table, limit in (("diagnoses", "stay_diagnoses", max_diagnoses),
                               ("procedures", "stay_procedures", max_procedures)):
        slots = _slot_columns(prof, kind, table, limit)
        if not slots:
            continue
        alias = kind[0]
        pivots = []
        for seq, field, header in slots:
            pivots.append(f"max({q(field)}) FILTER (WHERE seq = {seq}) AS {q(header)}")
            selects.append(f"{alias}.{q(header)}")
        joins.append(f"LEFT JOIN (SELECT stay_id, {', '.join(pivots)} FROM {table} GROUP BY stay_id) {alias} "
                     f"USING (stay_id)")
    sql = (f"SELECT {', '.join(selects)} FROM stays s {' '.join(joins)} "
           f"{'WHERE ' + where if where else ''} ORDER BY s.stay_id")
    if path.suffix.lower() == ".parquet":  # Parquet carries its own encoding and types (all text here)
        warehouse.con.execute(f"COPY ({sql}) TO {lit(str(path))} (FORMAT parquet)")
        return warehouse.con.execute(f"SELECT count(*) FROM stays s {'WHERE ' + where if where else ''}").fetchone()[0]
    target = path if encoding.lower() in ("utf-8", "utf8") else path.with_suffix(".utf8.tmp")
    warehouse.con.execute(f"COPY ({sql}) TO {lit(str(target))} (HEADER, DELIMITER ',')")
    if target != path:
        _transcode_out(target, path, encoding)
    return warehouse.con.execute(f"SELECT count(*) FROM stays s {'WHERE ' + where if where else ''}").fetchone()[0]


def _transcode_out(src: Path, dst: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(_CHUNK):
            fout.write(decoder.decode(chunk).encode(encoding))
        fout.write(decoder.decode(b"", final=True).encode(encoding))
    os.unlink(src)
