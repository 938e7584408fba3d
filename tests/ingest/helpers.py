"""Small hand-made front-page files for the ingest tests."""

from __future__ import annotations

from pathlib import Path

N041_HEADER = ("USERNAME,BAH,XM,SFZH,DH,XZZ,ZYCS,XB,CSRQ,NL,RYSJ,CYSJ,CYKB,SJZYTS,LYFS,ZFY,XYF,KJYWF,"
               "JBDM,RYBQ,JBDM1,RYBQ1,SSJCZBM1,SSJCZRQ1,SSJB1,QKDJ1,QKYHLB1")
N041_ROWS = [
    "H001,BA0001,张三,110101199001011234,13800138000,北京市东城区某街1号,1,1,1990-01-01,34,"
    "2024-01-02 08:00:00,2024-01-05 10:00:00,0301,3,1,5000.50,1200,300,I21.000,1,E11.900,1,36.0601,2024-01-03,4,1,A",
    "H001,BA0002,李四,110101198002031111,13900139000,北京市西城区某路2号,1,2,1980/02/03,44,"
    "2024/02/02,2024/02/10,0401,8,5,12000,3000,0,C34.900,1,,,,,,,",
    "H002,BA0001,王五,,,,2,1,19700101,54,20240301,20240304,0401,3,1,800,100,,J18.900,1,,,,,,,",
]


def write(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path
