"""Background jobs (ingest of uploaded files, stage runs) with progress that the browser polls.

Jobs run one at a time on a single worker thread: stages write the warehouse, and running two writers at
once would only make both slower. Each job records its owner, so a user sees only its own jobs (admin all).
"""

from __future__ import annotations

import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from hospeval.errors import HospevalError


@dataclass
class Job:
    """One background job and its progress (0..1)."""

    id: str
    kind: str
    owner: str
    status: str = "queued"  # queued / running / done / failed
    progress: float = 0.0
    message: str = ""
    lines: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


class JobManager:
    """Queue of jobs run on one worker thread."""

    def __init__(self, on_finish: Callable[[], None] | None = None) -> None:
        self._on_finish = on_finish
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hospeval-job")

    def submit(self, kind: str, owner: str, work: Callable[[Job], list[str]],
               cleanup: Callable[[], None] | None = None) -> Job:
        """Queue ``work(job) -> summary lines``; ``cleanup`` runs after it whatever happens."""
        job = Job(id=uuid.uuid4().hex, kind=kind, owner=owner)
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work, cleanup)
        return job

    def _run(self, job: Job, work: Callable[[Job], list[str]], cleanup: Callable[[], None] | None) -> None:
        job.status, job.message = "running", "running / 运行中"
        try:
            job.lines = list(work(job) or [])
            job.status, job.progress, job.message = "done", 1.0, "done / 完成"
        except HospevalError as exc:
            job.status, job.message = "failed", f"[{exc.reason}] {exc}"
        except Exception as exc:  # noqa: BLE001 - a job must end with a status, not a dead thread
            job.status, job.message = "failed", f"{type(exc).__name__}: {exc}"
            job.lines = traceback.format_exception_only(exc)
        finally:
            job.finished_at = datetime.now(UTC).isoformat()
            if cleanup:
                cleanup()
            if self._on_finish:
                self._on_finish()

    def get(self, job_id: str) -> Job | None:
        """Return a job by id."""
        with self._lock:
            return self._jobs.get(job_id)

    def list(self, owner: str | None = None) -> list[Job]:
        """Jobs, newest first (only ``owner``'s when given)."""
        with self._lock:
            jobs = list(self._jobs.values())
        return sorted((j for j in jobs if owner is None or j.owner == owner), key=lambda j: j.created_at,
                      reverse=True)

    def wait(self, job_id: str, timeout: float = 30.0) -> Job:
        """Block until a job ends (tests and the CLI)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job and job.status in ("done", "failed"):
                return job
            time.sleep(0.02)
        raise TimeoutError(job_id)

    def shutdown(self) -> None:
        """Stop the worker after the running job."""
        self._pool.shutdown(wait=False, cancel_futures=True)
