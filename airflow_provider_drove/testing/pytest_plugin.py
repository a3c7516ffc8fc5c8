"""pytest plugin (entry point ``pytest11``): the ``drove_emulator`` and ``drove_connection`` fixtures.

Any test suite with ``airflow-provider-drove`` installed can use them::

    def test_my_dag(drove_connection, drove_emulator):
        drove_emulator.create_app(MY_SPEC, instances=2)
        ...  # run the DAG; its Drove hook talks to the emulator through conn id "drove_default"

    @pytest.mark.drove_emulator(controllers=2, users=[("admin", "pw", "EXTERNAL_ROOT")], speed=10)
    def test_failover(drove_emulator): ...

This module imports neither Airflow nor the emulator at load time (the plugin is loaded before
Airflow is configured); the fixtures import the emulator when first used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_drove.testing.emulator import DroveEmulator

#: simulated seconds per real second for the fixture: a 30 s app-monitor cycle takes 0.6 s
DEFAULT_TEST_SPEED = 50.0
CONNECTION_ID = "drove_default"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``drove_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "drove_emulator(**options): DroveEmulator options for the drove_emulator fixture "
        "(controllers, users, executors, executor_cpus, executor_memory_mb, speed)",
    )


@pytest.fixture
def drove_emulator(request: pytest.FixtureRequest) -> Iterator[DroveEmulator]:
    """A fresh Drove controller emulator for one test, at a fast clock (speed 50 unless marked).

    Options come from ``@pytest.mark.drove_emulator(...)`` (DroveEmulator keyword arguments).
    """
    from airflow_provider_drove.testing.emulator import DroveEmulator

    options: dict[str, Any] = {"speed": DEFAULT_TEST_SPEED}
    marker = request.node.get_closest_marker("drove_emulator")
    if marker is not None:
        options.update(marker.kwargs)
    with DroveEmulator(**options) as emulator:
        yield emulator


@pytest.fixture
def drove_connection(drove_emulator: DroveEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point Airflow connection ``drove_default`` at the emulator (``AIRFLOW_CONN_DROVE_DEFAULT``).

    :return: the connection ID.
    """
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONNECTION_ID.upper()}", json.dumps(drove_emulator.airflow_connection()))
    return CONNECTION_ID
