"""``make demo`` (``python -m example_dags.demo``): the runner itself, end to end on Airflow 3.

The demo is what a newcomer runs first, so the suite runs it the way ``make demo-rollback`` does (in
a subprocess, with its own temporary AIRFLOW_HOME) and checks the story it prints. The happy path
of the same DAG is covered by ``test_example_release.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from example_dags.demo import table  # noqa: E402


def test_table_aligns_columns_and_shows_missing_values():
    assert table(["A", "LONGER"], [["x", None], ["yyyy", 3]]).splitlines() == [
        "A     LONGER",
        "----  ------",
        "x     -",
        "yyyy  3",
    ]


@pytest.mark.airflow3
@pytest.mark.timeout(180)
def test_demo_rollback_shows_the_pull_error_and_version_n_serving():
    # As from a developer's shell: none of the test session's Airflow settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    result = subprocess.run(
        [sys.executable, "-m", "example_dags.demo", "--rollback", "--speed", "20"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-4000:]
    assert "Rollback behaved as designed" in out
    assert "Drove's error for DEMO_APP-2: Error while pulling image" in out
    # The task table and the final instance table are printed.
    assert "wait_new_healthy            failed" in out
    assert "rollback_destroy_new        success" in out
    final = out.split("after the run", 1)[1]
    assert "DEMO_APP-1  RUNNING  2/2" in final and "DEMO_APP-2" not in final.split("Rollback behaved")[0]
