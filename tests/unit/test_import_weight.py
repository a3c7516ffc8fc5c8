"""DAG files import our operators at every parse: that import must not pull in the transport."""

from __future__ import annotations

import subprocess
import sys

PARSE_TIME_MODULES = [
    "airflow_provider_drove.operators.application",
    "airflow_provider_drove.operators.task",
    "airflow_provider_drove.sensors.application",
    "airflow_provider_drove.sensors.task",
]
TRANSPORT_MODULES = [
    "airflow_provider_drove.hooks.drove",
    "airflow_provider_drove.hooks.transport",
    "airflow_provider_drove.hooks.connection",
    "airflow_provider_drove.hooks.api",
]


def test_importing_operators_and_sensors_leaves_the_hooks_unloaded() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in PARSE_TIME_MODULES)
        + f"print(sorted(m for m in {TRANSPORT_MODULES!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"  # Airflow may log a line before ours
