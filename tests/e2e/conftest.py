"""Fixtures for end-to-end runs: the Drove emulator plus a real Airflow 3 deployment.

One deployment serves every end-to-end test of the session (starting it costs ~15-25 s on two cores). The
emulator is started first because the deployment's processes read the ``drove_default`` connection
from their environment (``AIRFLOW_CONN_DROVE_DEFAULT``), with Basic credentials whose password is
a fresh random value that the tests later search for in every log file.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from airflow_cluster import AirflowCluster  # noqa: E402

import airflow  # noqa: E402

if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("end-to-end runs use Airflow 3's scheduler/api-server/triggerer set", allow_module_level=True)

E2E_LOGIN = "airflow-e2e"
_FAILED: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Remember end-to-end tests that failed, so their AIRFLOW_HOME is kept for a post-mortem."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "e2e_deployment" in getattr(item, "fixturenames", ()):
        _FAILED.append(item.nodeid)


@dataclass
class E2EDeployment:
    """What an end-to-end test gets: the cluster, the emulator and the secret to hunt for.

    :param cluster: the running Airflow deployment.
    :param drove: the running DroveEmulator behind ``drove_default``.
    :param password: the connection password; it must never appear in a log.
    :param startup_seconds: time from nothing to a healthy deployment, for the report.
    """

    cluster: AirflowCluster
    drove: Any
    password: str
    startup_seconds: float


@pytest.fixture(scope="session")
def e2e_deployment() -> Iterator[E2EDeployment]:
    """Emulator + ``airflow api-server``/``scheduler``/``dag-processor``/``triggerer``, all stopped at the end.

    The AIRFLOW_HOME (DB, task/trigger logs, each component's output) is removed when every test
    using it passed, and kept (path printed) when one failed.
    """
    from airflow_provider_drove.testing import DroveEmulator

    started = time.monotonic()
    password = "pw-" + secrets.token_urlsafe(18)
    drove = DroveEmulator(users=[(E2E_LOGIN, password, "EXTERNAL_ROOT")], executors=2, speed=20.0).start()
    cluster: AirflowCluster | None = None
    try:
        conn = drove.airflow_connection(login=E2E_LOGIN, password=password)
        cluster = AirflowCluster(
            Path(tempfile.mkdtemp(prefix="drove-e2e-airflow-")),
            extra_env={
                "AIRFLOW_CONN_DROVE_DEFAULT": json.dumps(conn),
                # Every wait of the provider defers to the triggerer unless a task says otherwise.
                "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
                # The example DAGs poll every 5 s on a real cluster; the emulator runs 20x faster.
                "DROVE_EXAMPLES_POLL_INTERVAL": "1",
            },
        )
        cluster.migrate()
        cluster.start()
        cluster.wait_ready()
        yield E2EDeployment(cluster, drove, password, time.monotonic() - started)
    finally:
        try:
            if cluster is not None:
                survivors = cluster.stop()
                if _FAILED or survivors:
                    print(f"\ne2e AIRFLOW_HOME kept for inspection: {cluster.home}")
                else:
                    shutil.rmtree(cluster.home, ignore_errors=True)
                assert not survivors, f"processes still running after stop: {survivors}"
        finally:
            drove.stop()
