"""Uploads (checked, saved under safe names, all-or-nothing), background jobs and stage runs."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

from hospeval.present.api import get_ingest
from hospeval.present.app import create_app
from hospeval.warehouse import Warehouse

GOOD = "医疗机构代码,病案号,出院时间\nH001,1,2024-01-02\nH001,2,2024-01-03\n".encode()


class StubIngest:
    def __init__(self, fail: bool = False):
        self.calls = []
        self.fail = fail

    def __call__(self, warehouse, paths, names, progress):
        self.calls.append(([p.name for p in paths], names, [p.read_bytes() for p in paths]))
        progress(0.5, "half")
        if self.fail:
            from hospeval.errors import InputFileError

            raise InputFileError("bad header", file=names[0])
        return [f"loaded {n}" for n in names]


@pytest.fixture()
def setup(tmp_path, new_auth, password):
    wh = Warehouse(":memory:")
    wh.ensure_schema()
    app = create_app(wh, new_auth(), output=tmp_path, max_upload_bytes=4096)
    stub = StubIngest()
    app.dependency_overrides[get_ingest] = lambda: stub
    token = TestClient(app).post("/api/auth/login", json={"username": "admin", "password": password}).json()["token"]
    client = TestClient(app, headers={"authorization": f"Bearer {token}"})
    yield app, client, stub
    wh.close()


def upload(client, *files):
    return client.post("/api/uploads", files=[("files", f) for f in files])


def test_good_upload_runs_ingest_as_a_job_with_progress(setup):
    app, client, stub = setup
    r = upload(client, ("front page 2024.csv", GOOD, "text/csv"))
    assert r.status_code == 202, r.text
    job = app.state.jobs.wait(r.json()["job"])
    body = client.get(r.json()["status_url"]).json()
    assert body["status"] == "done" and body["progress"] == 1.0 and body["lines"] == ["loaded front page 2024.csv"]
    [(saved_names, names, contents)] = stub.calls
    assert names == ["front page 2024.csv"] and contents == [GOOD]
    assert saved_names[0].endswith(".csv") and "front" not in saved_names[0]  # random safe name
    assert job.owner == "admin"


def test_failed_ingest_reports_its_message(setup):
    app, client, stub = setup
    stub.fail = True
    r = upload(client, ("a.csv", GOOD, "text/csv"))
    job = app.state.jobs.wait(r.json()["job"])
    assert job.status == "failed" and "bad header" in job.message


@pytest.mark.parametrize("name, content, status, words", [
    ("data.exe", b"MZ...", 415, "not accepted"),
    ("notes", b"a,b\n1,2\n", 415, "not accepted"),
    ("../../etc/passwd.csv", GOOD, 400, "paths"),
    ("..\\..\\evil.csv", GOOD, 400, "paths"),
    ("/abs/path.csv", GOOD, 400, "paths"),
    (".hidden.csv", GOOD, 400, "paths"),
    ("C:evil.csv", GOOD, 400, "paths"),
    ("big.csv", b"a,b\n" + b"1,2\n" * 2000, 413, "larger than"),
    ("empty.csv", b"", 400, "empty"),
    ("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", 400, "row 3"),
    ("noheader.csv", b"\n\n", 400, "header"),
    ("dupe.csv", b"a,a\n1,2\n", 400, "repeats"),
    ("binary.csv", b"a,b\n\x00\x01\x02\n", 415, "binary"),
    ("latin.csv", "a,b\nÿ,ÿ\n".encode("utf-16"), 415, ""),
    ("quote.csv", b'a,b\n"1,2\n', 400, ""),
    ("fake.xlsx", b"a,b\n1,2\n", 415, "Excel"),
    ("fake.parquet", b"PAR1 not really", 415, "Parquet"),
])
def test_bad_uploads_get_a_clear_4xx_and_load_nothing(setup, name, content, status, words):
    app, client, stub = setup
    r = upload(client, (name, content, "application/octet-stream"))
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    assert stub.calls == [] and app.state.jobs.list() == []


def test_one_bad_file_refuses_the_whole_request(setup):
    app, client, stub = setup
    r = upload(client, ("good.csv", GOOD, "text/csv"), ("bad.csv", b"a,b\n1\n", "text/csv"))
    assert r.status_code == 400 and "bad.csv" in r.json()["detail"]
    assert stub.calls == [] and app.state.jobs.list() == []


def test_real_xlsx_and_gb18030_csv_are_accepted(setup):
    app, client, stub = setup
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<x/>")
    gb = "医疗机构代码,姓名\nH001,张三\n".encode("gb18030")
    r = upload(client, ("a.xlsx", buf.getvalue(), "application/zip"), ("b.csv", gb, "text/csv"))
    assert r.status_code == 202, r.text
    app.state.jobs.wait(r.json()["job"])
    assert stub.calls[0][1] == ["a.xlsx", "b.csv"]


def test_no_files_and_malformed_json_are_4xx(setup):
    app, client, stub = setup
    assert client.post("/api/uploads").status_code == 422
    for url in ("/api/auth/login", "/api/users", "/api/stages/present/run"):
        r = client.post(url, content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422, url
        assert "invalid request" in r.json()["detail"]
    r = client.post("/api/users", json={"username": "x", "password": "short", "role": "admin"})
    assert r.status_code == 422
    r = client.post("/api/users", json={"username": "x y", "password": "long-enough", "role": "admin"})
    assert r.status_code == 400 and "letters" in r.json()["detail"]
    r = client.post("/api/stages/present/run", content=json.dumps({"scheme": "../x"}),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_stage_run_job_builds_summaries_and_refreshes_pages(setup, tmp_path, monkeypatch):
    app, client, _ = setup
    from hospeval.present import reports, sample

    monkeypatch.setattr(reports, "pdf_available", lambda: False)  # PDFs are tested in test_reports

    sample.build(app.state.warehouse, hospitals=2, stays=100)
    app.state.reader.invalidate()
    r = client.post("/api/stages/present/run", json={})
    assert r.status_code == 202, r.text
    job = app.state.jobs.wait(r.json()["job"], timeout=60)
    assert job.status == "done", job.message
    assert app.state.reader.has("present_stay_summary")
    assert (tmp_path / "reports" / "jurisdiction.xlsx").exists()
    assert client.post("/api/stages/nonsense/run", json={}).status_code == 422


def test_jobs_are_private_to_their_owner(setup, password):
    app, client, _ = setup
    r = upload(client, ("a.csv", GOOD, "text/csv"))
    app.state.jobs.wait(r.json()["job"])
    token = TestClient(app).post("/api/auth/login", json={"username": "h1", "password": password}).json()["token"]
    other = TestClient(app, headers={"authorization": f"Bearer {token}"})
    assert other.get(r.json()["status_url"]).status_code == 404
    assert other.get("/api/jobs").json() == []


def test_user_admin_api(setup):
    app, client, _ = setup
    r = client.post("/api/users", json={"username": "li", "password": "long-enough", "role": "hospital",
                                        "hospital_id": "H003"})
    assert r.status_code == 201 and r.json()["hospital_id"] == "H003"
    assert "li" in {u["username"] for u in client.get("/api/users").json()}
    assert all("password" not in json.dumps(u) for u in client.get("/api/users").json())
    assert client.delete("/api/users/li").status_code == 200
    assert client.delete("/api/users/li").status_code == 400


def test_default_ingest_runs_the_real_ingest_with_progress_and_original_names(tmp_path):
    from hospeval.present.api import default_ingest
    from hospeval.warehouse import Warehouse

    path = tmp_path / "x9f3.csv"  # uploads are saved under random names
    path.write_bytes("病案号,组织机构代码,住院次数,性别,年龄,入院时间,出院时间,出院科别,实际住院（天）,离院方式,住院总费用,主要诊断编码\n"
                     "BA1,H001,1,男,60,2024-05-01,2024-05-09,0301,8,1,8000,I21.000\n".encode("gb18030"))
    steps = []
    with Warehouse(tmp_path / "w.duckdb") as wh:
        lines = default_ingest(wh, [path], ["一院首页.csv"], lambda f, m="": steps.append(f))
        assert wh.count("stays") == 1
        assert wh.con.execute("SELECT file FROM ingest_loads").fetchone()[0] == "一院首页.csv"
    assert lines == ["一院首页.csv: 1 rows read, 1 loaded, 0 quarantined (n041_zh, gb18030)"]
    assert all(isinstance(f, float) and 0 <= f <= 1 for f in steps) and steps[-1] == 1.0
    assert steps == sorted(steps)

