"""Dashboard load test: N concurrent users on loopback against ``hospeval serve``; median and p95 per page.

Target (issue 7): every page median < 500 ms and p95 < 1.5 s under 20 users on the 2-core machine, with the
20-million-stay demo province loaded.

Usage
-----
    # on a synthetic warehouse made here (stays by the canonical schema + contract result tables)
    PYTHONPATH=src python benchmarks/bench_dashboard.py --stays 2000000 --hospitals 200
    # on an existing warehouse (e.g. the demo province); it is opened by the server, so stop other users
    PYTHONPATH=src python benchmarks/bench_dashboard.py --warehouse warehouse/hospeval.duckdb

Bounded: each user makes at most --requests requests and the run stops after --seconds. The server is a
separate process (``python -m hospeval serve``); its peak RSS is read from /proc.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
from _common import hwm_mb

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"


def build_warehouse(path: Path, stays: int, hospitals: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from hospeval.present import sample
    from hospeval.present.db import Reader
    from hospeval.present.stage import build_summaries
    from hospeval.warehouse import Warehouse

    t0 = time.perf_counter()
    with Warehouse(path) as wh:
        sample.build(wh, hospitals=hospitals, stays=stays, drgs=600)
        t1 = time.perf_counter()
        counts = build_summaries(Reader(wh), "chs-drg-1.1")
    print(f"warehouse: {stays:,} stays, {hospitals} hospitals built in {t1 - t0:.1f} s; "
          f"summaries {counts} in {time.perf_counter() - t1:.1f} s")


def make_users(auth_path: str, hospital_ids: list[str], n_hospital_users: int) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from hospeval.present.auth import AuthStore

    store = AuthStore(auth_path)
    users = [("bench_admin", "admin"), ("bench_city", "commission")]
    store.add_user("bench_admin", PASSWORD, role="admin")
    store.add_user("bench_city", PASSWORD, role="commission", province="上海市")
    store.add_user("bench_bureau", PASSWORD, role="insurance")
    users.append(("bench_bureau", "insurance"))
    for i, hid in enumerate(hospital_ids[:n_hospital_users]):
        store.add_user(f"bench_h{i}", PASSWORD, role="hospital", hospital_id=hid)
        users.append((f"bench_h{i}", f"hospital:{hid}"))
    store.close()
    return users


def pages_for(role: str, hospital_ids: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """(page kind, url) a user of ``role`` visits, in order."""
    if role.startswith("hospital:"):
        hid = role.split(":", 1)[1]
        return [("hospital", f"/hospitals/{hid}"), ("departments", f"/hospitals/{hid}/departments"),
                ("doctors", f"/hospitals/{hid}/doctors?dept=D1"), ("drgs", f"/hospitals/{hid}/drgs"),
                ("payment", "/payment"), ("api_table", "/api/tables/quality_findings?limit=100")]
    if role == "insurance":
        return [("payment", "/payment"), ("payment", f"/payment?factor={rng.choice([0.95, 1.0, 1.05])}"),
                ("api_table", "/api/tables/payment_settlements?limit=100")]
    hid = rng.choice(hospital_ids)
    return [("overview", "/"), ("hospital", f"/hospitals/{hid}"), ("departments", f"/hospitals/{hid}/departments"),
            ("consortia", "/consortia"), ("payment", "/payment"),
            ("api_table", f"/api/tables/evaluation_scores?limit=100&hospital_id={hid}")]


def run_user(base: str, username: str, role: str, hospital_ids: list[str], max_requests: int,
             start: threading.Barrier, limits: dict, results: dict, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=60) as client:
        # Log in first (argon2 costs ~0.1-0.5 s of CPU each): pages are timed once every user is in.
        r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        client.headers["authorization"] = f"Bearer {r.json()['token']}"
        start.wait()
        limits["go"].wait()
        deadline = limits["deadline"]
        done = 0
        while done < max_requests and time.monotonic() < deadline:
            for kind, url in pages_for(role, hospital_ids, rng):
                if done >= max_requests or time.monotonic() >= deadline:
                    break
                t0 = time.perf_counter()
                response = client.get(url, headers={"accept": "text/html"})
                elapsed = time.perf_counter() - t0
                results[kind].append((elapsed, response.status_code))
                done += 1


def wait_for(base: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit("server did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="existing warehouse (default: build a synthetic one)")
    parser.add_argument("--stays", type=int, default=1_000_000)
    parser.add_argument("--hospitals", type=int, default=100)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30, help="requests per user at most")
    parser.add_argument("--seconds", type=float, default=180, help="stop after this long")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the synthetic warehouse")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hospeval-bench-"))
    warehouse = args.warehouse or workdir / "bench.duckdb"
    if not args.warehouse:
        build_warehouse(warehouse, args.stays, args.hospitals)
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    hospital_ids = [r[0] for r in con.execute("SELECT hospital_id FROM hospitals ORDER BY hospital_id").fetchall()]
    n_stays = con.execute("SELECT count(*) FROM stays").fetchone()[0]
    con.close()
    auth = str(workdir / "auth.sqlite")
    users = make_users(auth, hospital_ids, max(0, args.users - 6))

    env = dict(os.environ, HOSPEVAL_WAREHOUSE=str(warehouse), HOSPEVAL_AUTH_DB=auth,
               HOSPEVAL_OUTPUT=str(workdir / "out"), PYTHONPATH=str(ROOT / "src"))
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "hospeval", "serve", "--host", "127.0.0.1",
                               "--port", str(args.port)], env=env, cwd=ROOT)
    try:
        wait_for(base, server)
        roster = [users[i % len(users)] for i in range(args.users)]
        results: dict[str, list[tuple[float, int]]] = defaultdict(list)
        limits: dict = {"go": threading.Event()}
        start = threading.Barrier(len(roster) + 1)
        threads = [threading.Thread(target=run_user, args=(base, u, role, hospital_ids, args.requests, start, limits,
                                                           results, i)) for i, (u, role) in enumerate(roster)]
        for t in threads:
            t.start()
        start.wait()
        limits["deadline"] = time.monotonic() + args.seconds
        t0 = time.perf_counter()
        limits["go"].set()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        rss = hwm_mb(server.pid) or float("nan")
    finally:
        server.terminate()
        server.wait(10)
    total = sum(len(v) for v in results.values())
    print(f"\n{args.users} concurrent users, {n_stays:,} stays, {len(hospital_ids)} hospitals: "
          f"{total} requests in {wall:.1f} s ({total / wall:.1f} req/s); server peak RSS {rss:.0f} MB; "
          f"client peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"{'page':<12} {'n':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  non-200  target (500 / 1500 ms)")
    for kind in sorted(results):
        times = [t for t, _ in results[kind]]
        bad = sum(1 for _, s in results[kind] if s != 200)
        med, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        ok = "ok" if med < 500 and p95 < 1500 else "MISSED"
        print(f"{kind:<12} {len(times):>5} {med:>10.0f} {p95:>8.0f} {max(times) * 1000:>8.0f}  {bad:>7}  {ok}")
    if not args.keep and not args.warehouse:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
