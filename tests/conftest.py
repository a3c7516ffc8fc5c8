"""Test-suite set-up: an isolated Airflow home with its own SQLite metadata DB.

The environment is set at import time, before any test module imports Airflow, so no test
ever touches a developer's real ``~/airflow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import importlib.util
import shutil
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="drove-tests-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
# Airflow 3's ``dag.test()`` only runs DAGs it can parse from a bundle, so every DAG a test runs
# is written as a file into this folder first (see ``run_dag``).
DAGS_FOLDER = Path(_AIRFLOW_HOME) / "dags"
DAGS_FOLDER.mkdir()
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
# Airflow 2.11's unit-test config names LocalExecutor, and its ReadyToRescheduleDep (evaluated for
# every sensor, also under dag.test()) then refuses SQLite. dag.test() never uses the executor.
os.environ["_AIRFLOW__SKIP_DATABASE_EXECUTOR_COMPATIBILITY_CHECK"] = "1"
# Connections given as env vars would shadow the ones tests create; start clean.
for _name in [n for n in os.environ if n.startswith("AIRFLOW_CONN_")]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """Create the Airflow metadata DB once per session (needed by ``dag.test()`` runs).

    :return: the SQLAlchemy URL of the test database.
    """
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if result.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{result.stdout}\n{result.stderr}")
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


@dataclass
class DagRunResult:
    """What a ``dag.test()`` run left behind.

    :param state: the DAG run state as a plain string (``success``/``failed``).
    :param task_states: task id to its final state string.
    :param xcoms: task id to its ``return_value`` XCom (absent when none was pushed).
    :param dag_run: the DagRun object itself, for anything else a test wants to look at.
    """

    state: str
    task_states: dict[str, str | None]
    xcoms: dict[str, Any] = field(default_factory=dict)
    dag_run: Any = None


def _state_str(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


@pytest.fixture
def run_dag(airflow_db: str) -> Callable[..., DagRunResult]:
    """Run a DAG with ``dag.test()`` the way Airflow 3 needs: parsed from a file in the DAGs folder.

    Call it with the DAG file's source text (dedented for you) or a path to an existing file
    (an example DAG), and the DAG id to run. Files it writes are removed after the test.

    :return: a callable ``run_dag(source_or_path, dag_id, conf=None, **test_kwargs)``.
    """
    written: list[Path] = []

    def _run(
        source_or_path: str | Path, dag_id: str, conf: dict[str, Any] | None = None, **test_kwargs: Any
    ) -> DagRunResult:
        target = DAGS_FOLDER / f"{dag_id}.py"
        if isinstance(source_or_path, Path):
            shutil.copyfile(source_or_path, target)
        else:
            target.write_text(textwrap.dedent(source_or_path))
        written.append(target)
        spec = importlib.util.spec_from_file_location(f"_test_dag_{dag_id}", target)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        # Registered so that classes defined in the DAG file (test triggers) import by classpath.
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        dag = next(
            v for v in vars(module).values() if getattr(v, "dag_id", None) == dag_id and hasattr(v, "test")
        )
        dag_run = dag.test(run_conf=conf, **test_kwargs)
        task_states: dict[str, str | None] = {}
        xcoms: dict[str, Any] = {}
        for ti in dag_run.get_task_instances():
            task_states[ti.task_id] = _state_str(ti.state)
            value = ti.xcom_pull(task_ids=ti.task_id, key="return_value")
            if value is not None:
                xcoms[ti.task_id] = value
        return DagRunResult(_state_str(dag_run.state) or "", task_states, xcoms, dag_run)

    yield _run
    for path in written:
        path.unlink(missing_ok=True)
