"""End-to-end: headless Chromium logs in as each role, opens each page and saves screenshots.

Screenshots go to ``out/test-screenshots/`` (or ``HOSPEVAL_SCREENSHOTS``) for a person to check. Needs
Debian's ``chromium`` (``apt-get install -y chromium fonts-noto-cjk``) and Playwright from PyPI; no browser is
downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("HOSPEVAL_SCREENSHOTS", Path(__file__).resolve().parents[2] / "out" / "test-screenshots"))
ROLE_PAGES = {
    "admin": ["/", "/hospitals/H001", "/hospitals/H001/doctors?dept=D1", "/consortia", "/payment", "/admin"],
    "city": ["/", "/hospitals/H002", "/hospitals/H002/drgs"],
    "h1": ["/hospitals/H001", "/hospitals/H001/departments", "/payment?factor=1.1"],
    "bureau": ["/payment"],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn
    from present_fixtures import make_auth

    from hospeval.present import sample
    from hospeval.present.app import create_app
    from hospeval.warehouse import Warehouse

    wh = Warehouse(":memory:")
    sample.build(wh, hospitals=6, stays=3000)
    app = create_app(wh, make_auth(), output=tmp_path_factory.mktemp("out"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def _login(page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("user", list(ROLE_PAGES))
def test_role_pages_render_with_charts(server, browser, user, password):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: errors.append(f"external request {req.url}")
            if not req.url.startswith(server) else None)
    _login(page, server, user, password)
    for url in ROLE_PAGES[user]:
        response = page.goto(server + url)
        assert response.status == 200, (user, url)
        page.wait_for_load_state("networkidle")
        assert "公立医院高质量发展评价" in page.content()
        charts = page.locator(".chart")
        if charts.count():
            # ECharts draws into a canvas inside each chart box.
            assert page.locator(".chart canvas").count() >= charts.count(), url
        name = f"{user}{url.replace('/', '_').replace('?', '_').replace('=', '-')}.png"
        page.screenshot(path=str(SHOTS / name), full_page=True)
    assert errors == []
    context.close()


def test_english_switch_and_refusal(server, browser, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, server, "h1", password)
    page.goto(f"{server}/hospitals/H001?lang=en")
    assert "Cost index" in page.content()
    page.screenshot(path=str(SHOTS / "h1_hospital_en.png"), full_page=True)
    response = page.goto(f"{server}/hospitals/H002")
    assert response.status == 403
    page.screenshot(path=str(SHOTS / "h1_forbidden.png"))
    context.close()


def test_admin_upload_shows_progress(server, browser, password, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, server, "admin", password)
    page.goto(f"{server}/admin")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n", encoding="utf-8")
    page.set_input_files("#upload-form input[type=file]", str(bad))
    page.click("#upload-form button")
    page.wait_for_selector("#upload-job .error")
    assert "row 2" in page.inner_text("#upload-job")
    page.click("button.run-stage[data-stage=present]")
    page.wait_for_selector("#stage-job .status-done", timeout=60_000)
    page.screenshot(path=str(SHOTS / "admin_jobs.png"), full_page=True)
    context.close()
