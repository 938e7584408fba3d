"""Dashboard pages per role and language, report downloads, and the CLI commands."""

from __future__ import annotations

import io
import re
import zlib

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hospeval.present import reports
from hospeval.present.app import create_app
from hospeval.warehouse import Warehouse

PAGES = {
    "admin": ["/", "/hospitals/H001", "/hospitals/H001/departments", "/hospitals/H001/doctors?dept=D1",
              "/hospitals/H001/drgs", "/hospitals/H001/months", "/consortia", "/payment?factor=1.05", "/admin"],
    "city": ["/", "/hospitals/H002", "/hospitals/H002/drgs?doctor=DR1", "/consortia", "/payment"],
    "h1": ["/hospitals/H001", "/hospitals/H001/departments?drg=DRG001", "/consortia", "/payment"],
    "bureau": ["/payment", "/payment?factor=0.9"],
}


@pytest.mark.parametrize("user", list(PAGES))
def test_each_role_opens_its_pages_in_chinese(as_user, user):
    client = as_user(user)
    for url in PAGES[user]:
        r = client.get(url)
        assert r.status_code == 200, (user, url, r.text[:300])
        assert 'lang="zh-CN"' in r.text and "公立医院高质量发展评价" in r.text
        assert "Traceback" not in r.text and "birth_date" not in r.text


def test_pages_show_the_figures(as_user):
    html = as_user("admin").get("/hospitals/H001").text
    for label in ("费用消耗指数", "时间消耗指数", "低风险组死亡率", "各指标失分", "DRG 病组结构", "月度趋势", "病案质量"):
        assert label in html
    assert 'class="chart"' in html and "/static/vendor/echarts/echarts.min.js" in html
    overview = as_user("city").get("/").text
    assert "同组排名" in overview and "试点候选" in overview and "H004" not in overview


def test_consortium_page_labels_reported_metrics(as_user):
    html = as_user("city").get("/consortia").text
    assert "上转人次数" in html and "转诊流向" in html


def test_english_switch_is_kept_in_a_cookie(app, tokens):
    client = TestClient(app, cookies={"hospeval_session": tokens["admin"]})
    r = client.get("/hospitals/H001?lang=en")
    assert 'lang="en"' in r.text and "Cost index" in r.text and "Low-risk mortality" in r.text
    assert 'lang="en"' in client.get("/payment").text  # cookie remembered


def test_role_redirects_and_refusals(as_user):
    client = as_user("h1")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/hospitals/H001"
    r = as_user("bureau").get("/", follow_redirects=False)
    assert r.headers["location"] == "/payment"
    r = client.get("/hospitals/H002", headers={"accept": "text/html"})
    assert r.status_code == 403 and "无权访问" in r.text and "乙" not in r.text


def test_login_page_flow(app, password):
    client = TestClient(app)
    assert "登录" in client.get("/login").text
    r = client.post("/login", data={"username": "h1", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = client.post("/login", data={"username": "h1", "password": password, "next": "//evil.example/"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/hospitals/H001").status_code == 200  # cookie session
    client.get("/logout")
    assert client.get("/hospitals/H001", follow_redirects=False).status_code == 303


def test_pages_say_what_to_run_when_tables_are_missing(new_auth, password, tmp_path):
    wh = Warehouse(":memory:")
    wh.ensure_schema()
    wh.con.execute("INSERT INTO hospitals (hospital_id, name, level, category) VALUES ('H001', '甲', '3', 'general')")
    app = create_app(wh, new_auth(), output=tmp_path)
    token = TestClient(app).post("/api/auth/login", json={"username": "admin", "password": password}).json()["token"]
    client = TestClient(app, headers={"authorization": f"Bearer {token}"})
    html = client.get("/hospitals/H001").text
    for stage in ("hospeval evaluate", "hospeval quality", "hospeval indicators", "hospeval payment"):
        assert f"<code>{stage}</code>" in html
    assert "尚未计算" in html
    assert "<code>hospeval payment</code>" in client.get("/payment").text
    assert "<code>hospeval evaluate</code>" in client.get("/").text
    r = client.get("/api/tables/evaluation_scores")
    assert r.status_code == 404 and r.json()["run"] == "hospeval evaluate"
    assert client.get("/api/reports/hospitals/H001/xlsx").status_code == 200
    assert client.get("/hospitals/H999").status_code == 404


def test_hospital_workbook_has_the_sections(as_user):
    r = as_user("h1").get("/api/reports/hospitals/H001/xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert len(book.sheetnames) == 10
    perf = book[book.sheetnames[2]]
    assert perf.cell(1, 1).value == "出院人次" and perf.cell(2, 1).value == 500  # 3000 stays / 6 hospitals
    assert "H002" not in str([[c.value for c in row] for ws in book for row in ws.iter_rows()])


def test_printable_html_and_jurisdiction_report(as_user):
    html = as_user("h1").get("/api/reports/hospitals/H001/html").text
    assert "@page" in html and "Noto Sans CJK SC" in html and "区1中心医院" in html
    ranking = as_user("city").get("/api/reports/jurisdiction/xlsx")
    book = openpyxl.load_workbook(io.BytesIO(ranking.content))
    ids = {row[2] for row in book[book.sheetnames[1]].iter_rows(min_row=2, values_only=True)}
    assert ids == {"H001", "H002", "H003", "H005", "H006"}


@pytest.mark.skipif(not reports.pdf_available(), reason="weasyprint is not installed")
def test_pdf_embeds_a_cjk_font(as_user):
    r = as_user("admin").get("/api/reports/hospitals/H001/pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    fonts = set()
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", r.content, re.S):
        try:
            fonts |= set(re.findall(rb"/BaseFont\s*/([^\s/>]+)", zlib.decompress(match.group(1))))
        except zlib.error:
            continue
    assert any(b"CJK" in f for f in fonts), f"no CJK font embedded ({fonts}): Chinese would be dropped"


def test_cli_users_and_reports(tmp_path, monkeypatch):
    from hospeval.cli import app as cli
    from hospeval.present import sample

    wh_path = tmp_path / "wh.duckdb"
    with Warehouse(wh_path) as wh:
        sample.build(wh, hospitals=2, stays=50)
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(wh_path))
    monkeypatch.setenv("HOSPEVAL_OUTPUT", str(tmp_path / "out"))
    monkeypatch.setenv("HOSPEVAL_NEW_PASSWORD", "long-enough-1")
    monkeypatch.setattr(reports, "pdf_available", lambda: False)
    runner = CliRunner()
    r = runner.invoke(cli, ["users", "add", "--role", "hospital", "--hospital", "H001", "wang"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "auth.sqlite").exists()
    r = runner.invoke(cli, ["users", "list"])
    assert "wang" in r.output and "H001" in r.output
    r = runner.invoke(cli, ["users", "add", "--role", "boss", "li"])
    assert r.exit_code != 0 and "unknown role" in str(r.exception)
    r = runner.invoke(cli, ["report", "--hospital", "H001"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "reports" / "hospital-H001.xlsx").exists()
    r = runner.invoke(cli, ["report", "--jurisdiction", "--lang", "en"])
    assert "Jurisdiction ranking report" in (tmp_path / "out" / "reports" / "jurisdiction.html").read_text()
    r = runner.invoke(cli, ["report"])
    assert r.exit_code != 0 and "--hospital" in str(r.exception)
    r = runner.invoke(cli, ["report", "--hospital", "H999"])
    assert "no hospital" in str(r.exception)
    for command in (["serve", "--help"], ["report", "--help"], ["users", "add", "--help"], ["present", "--help"]):
        assert "Example" in runner.invoke(cli, command).output


def test_payment_page_groups_dip_settlements(new_auth, password, tmp_path):
    wh = Warehouse(":memory:")
    wh.con.execute("CREATE TABLE payment_settlements AS SELECT * FROM (VALUES "
                   "('r', 'dip', 's1', 'H001', 'D01', 'normal', 100.0, 130.0, 30.0)) "
                   "v(run_id, scheme, stay_id, hospital_id, dip_group, case_type, cost, payment, surplus)")
    app = create_app(wh, new_auth(), output=tmp_path)
    token = TestClient(app).post("/api/auth/login", json={"username": "admin", "password": password}).json()["token"]
    html = TestClient(app, headers={"authorization": f"Bearer {token}"}).get("/payment?factor=1.1").text
    assert "DIP 病种" in html and "D01" in html and "43.00" in html  # 130 * 1.1 - 100
