"""Run-time settings: engine and warehouse location, pseudonymisation secret, output folder.

Read from the environment (``HOSPEVAL_*``) so that the CLI, the API server and tests share one way in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE = Path("warehouse/hospeval.duckdb")
DEFAULT_OUTPUT = Path("out")
DEFAULT_SPARK_WAREHOUSE = "warehouse/spark"
ENGINES = ("duckdb", "spark")
# Used only when no secret is configured; ingest warns, since pseudonyms are then guessable.
DEV_SECRET = "hospeval-development-secret-change-me"


@dataclass(frozen=True)
class Settings:
    """Settings of one run."""

    warehouse: Path
    output: Path
    secret: str
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    spark_warehouse: str = DEFAULT_SPARK_WAREHOUSE

    @property
    def secret_is_default(self) -> bool:
        """True when no pseudonymisation secret was configured."""
        return self.secret == DEV_SECRET


def settings() -> Settings:
    """Return the settings from the environment."""
    return Settings(
        warehouse=Path(os.environ.get("HOSPEVAL_WAREHOUSE", DEFAULT_WAREHOUSE)),
        output=Path(os.environ.get("HOSPEVAL_OUTPUT", DEFAULT_OUTPUT)),
        secret=os.environ.get("HOSPEVAL_SECRET", DEV_SECRET),
        engine=os.environ.get("HOSPEVAL_ENGINE", "duckdb").lower(),
        spark_master=os.environ.get("HOSPEVAL_SPARK_MASTER", "local[*]"),
        spark_warehouse=os.environ.get("HOSPEVAL_SPARK_WAREHOUSE", DEFAULT_SPARK_WAREHOUSE),
    )
