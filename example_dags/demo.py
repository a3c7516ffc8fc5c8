"""``make demo``: run the release pipeline with real Airflow against a local Drove emulator.

What it does, in order:

1. makes a throw-away AIRFLOW_HOME with a SQLite metadata DB (``airflow db migrate``) and copies
   ``example_drove_release.py`` into its DAGs folder (the caller's ``AIRFLOW*`` variables are
   ignored, so a developer's own Airflow set-up is never touched);
2. starts the Drove controller emulator (Basic auth on) and points the connection ``drove_default``
   at it through ``AIRFLOW_CONN_DROVE_DEFAULT`` (JSON form);
3. creates version N of the demo app and waits until its instances are healthy;
4. runs the release pipeline for version N+1 with ``airflow dags test`` (a real DAG run, deferred
   waits included) and prints each task's outcome and the app's instances afterwards;
5. stops the emulator and exits 0 when the outcome is the designed one.

``--rollback`` releases an image the emulator cannot pull (its ``pull-fail`` scenario): the run
must fail with Drove's pull error, N+1 must be gone and version N must still be serving. That is
the designed behaviour, so it also exits 0; anything else exits 1.

Run it with ``make demo`` / ``make demo-rollback`` or ``python -m example_dags.demo [--rollback]``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DAG_ID = "example_drove_release"
APP_NAME = "DEMO_APP"
CURRENT_VERSION = "1"
NEW_VERSION = "2"
INSTANCES = 2
GOOD_IMAGE = ("ghcr.io/appform-io/perf-test-server-httplib", "latest")
# The emulator fails the pull of any image whose URL contains "pull-fail" (testing/scenarios.py),
# with the error Drove's executor reports for a missing image.
BAD_IMAGE = ("ghcr.io/appform-io/perf-test-server-httplib", "2.0-pull-fail")
DEMO_LOGIN = "demo-admin"
EXAMPLES_DIR = Path(__file__).resolve().parent
#: The release DAG's tasks in the order a reader follows them: happy path, then roll-back.
TASK_ORDER = (
    "check_release",
    "create_new_version",
    "start_new_instances",
    "wait_new_healthy",
    "scale_down_old_version",
    "destroy_old_version",
    "record_release_failure",
    "rollback_cancel_new",
    "rollback_scale_new_to_zero",
    "rollback_destroy_new",
    "fail_release",
)


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Format rows as a plain-text table with aligned columns.

    :param headers: column titles.
    :param rows: one sequence of cell values per row (``None`` prints as ``-``).
    :return: the table text, without a trailing newline.
    """
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _prepare_home() -> Path:
    """Point this process (and the ``airflow`` subprocesses it starts) at a fresh AIRFLOW_HOME."""
    home = Path(tempfile.mkdtemp(prefix="drove-demo-airflow-"))
    dags = home / "dags"
    dags.mkdir()
    shutil.copyfile(EXAMPLES_DIR / f"{DAG_ID}.py", dags / f"{DAG_ID}.py")
    for name in [n for n in os.environ if n.startswith("AIRFLOW")]:
        del os.environ[name]
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            # The example DAG polls every 5 s on a real cluster; the emulator is fast, so poll faster.
            "DROVE_EXAMPLES_POLL_INTERVAL": "1",
        }
    )
    return home


def _airflow(home: Path, *args: str, log_name: str) -> int:
    """Run an ``airflow`` CLI command with its output in ``home/<log_name>``; return its exit code."""
    with open(home / log_name, "wb") as log:
        return subprocess.call(
            [sys.executable, "-m", "airflow", *args], stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
        )


def release_spec(app_name: str, version: str, image: tuple[str, str] = GOOD_IMAGE) -> dict[str, Any]:
    """The release DAG's spec template rendered for one version (to create the starting version N).

    :param app_name: the Drove app name.
    :param version: the app version.
    :param image: image URL and tag.
    :return: the ApplicationSpec as a dict.
    """
    from example_dags.example_drove_release import SPEC_TEMPLATE

    text = json.dumps(SPEC_TEMPLATE)
    for key, value in {"app_name": app_name, "new_version": version, "image": image[0], "image_tag": image[1]}.items():
        text = text.replace("{{ params.%s }}" % key, value)
    return json.loads(text)


def _latest_run(db: Path) -> tuple[str, str] | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (DAG_ID,)
        ).fetchone()
        return (row[0], row[1]) if row else None
    finally:
        conn.close()


def _task_rows(db: Path, run_id: str) -> list[tuple[str, str | None, float | None]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT task_id, state, duration FROM task_instance WHERE dag_id = ? AND run_id = ?", (DAG_ID, run_id)
        ).fetchall()
    finally:
        conn.close()
    position = {task_id: i for i, task_id in enumerate(TASK_ORDER)}
    return sorted(rows, key=lambda row: (position.get(row[0], len(TASK_ORDER)), row[0]))


def _xcom(db: Path, run_id: str, task_id: str) -> Any:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = 'return_value'",
            (DAG_ID, run_id, task_id),
        ).fetchone()
    finally:
        conn.close()
    if not row:
        return None
    value = row[0]
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _print_cluster(hook: Any) -> dict[str, Any]:
    """Print every app with its instances; return the app summaries by id."""
    apps = hook.list_applications()
    print(
        table(
            ["APP", "STATE", "HEALTHY/REQUIRED"],
            [
                [app_id, _state(app.state), f"{app.healthy_instances}/{app.required_instances}"]
                for app_id, app in sorted(apps.items())
            ],
        )
    )
    rows = []
    for app_id in sorted(apps):
        for instance in hook.list_instances(app_id):
            local = instance.local_info
            ports = ", ".join(
                f"{p.container_port}->{p.host_port}" for p in (local.ports.values() if local else ())
            )
            rows.append(
                [app_id, instance.instance_id, _state(instance.state), local.hostname if local else None, ports or None]
            )
    print()
    print(table(["APP", "INSTANCE", "STATE", "HOST", "PORTS"], rows) if rows else "(no instances)")
    return apps


def _state(value: Any) -> str:
    return str(getattr(value, "value", value))


def run_demo(rollback: bool, speed: float, keep: bool = False) -> int:
    """Run the demo; return the process exit code (0 when the outcome is the designed one).

    :param rollback: release an image that cannot be pulled and expect the roll-back.
    :param speed: the emulator's clock speed-up.
    :param keep: keep the temporary AIRFLOW_HOME even when the demo ends as designed.
    """
    started = time.monotonic()
    home = _prepare_home()
    db = home / "airflow.db"
    _say(f"Airflow home: {home} (SQLite)")
    _say("Creating the Airflow metadata database (airflow db migrate)")
    if _airflow(home, "db", "migrate", log_name="db-migrate.log"):
        print((home / "db-migrate.log").read_text()[-4000:])
        return 1

    from airflow_provider_drove.testing import DroveEmulator

    password = secrets.token_urlsafe(16)
    with DroveEmulator(users=[(DEMO_LOGIN, password, "EXTERNAL_ROOT")], executors=2, speed=speed) as drove:
        _say(f"Drove emulator serving at {drove.url} (Basic auth, user {DEMO_LOGIN}, speed x{speed:g})")
        os.environ["AIRFLOW_CONN_DROVE_DEFAULT"] = json.dumps(
            drove.airflow_connection(login=DEMO_LOGIN, password=password)
        )
        _say("Connection drove_default set through AIRFLOW_CONN_DROVE_DEFAULT")

        old_app_id = f"{APP_NAME}-{CURRENT_VERSION}"
        new_app_id = f"{APP_NAME}-{NEW_VERSION}"
        _say(f"Creating version N ({old_app_id}) with {INSTANCES} instances")
        drove.create_app(release_spec(APP_NAME, CURRENT_VERSION), instances=INSTANCES)
        drove.wait_idle(old_app_id)

        from airflow_provider_drove.hooks.drove import DroveHook

        hook = DroveHook()
        print()
        _print_cluster(hook)
        print()

        image = BAD_IMAGE if rollback else GOOD_IMAGE
        conf = {
            "app_name": APP_NAME,
            "current_version": CURRENT_VERSION,
            "new_version": NEW_VERSION,
            "image": image[0],
            "image_tag": image[1],
            "instances": INSTANCES,
        }
        _say(f"Releasing {new_app_id} (image {image[0]}:{image[1]}) with: airflow dags test {DAG_ID}")
        run_started = time.monotonic()
        code = _airflow(home, "dags", "test", DAG_ID, "--conf", json.dumps(conf), log_name="dags-test.log")
        run_seconds = time.monotonic() - run_started
        latest = _latest_run(db)
        if latest is None:
            print((home / "dags-test.log").read_text()[-6000:])
            _say(f"airflow dags test exited {code} without creating a DAG run")
            return 1
        run_id, run_state = latest
        _say(f"DAG run {run_id}: {run_state} in {run_seconds:.1f}s")
        print()
        print(
            table(
                ["TASK", "OUTCOME", "SECONDS"],
                [[t, s or "none", f"{d:.1f}" if d is not None else None] for t, s, d in _task_rows(db, run_id)],
            )
        )
        drove_error = _xcom(db, run_id, "record_release_failure")
        if drove_error:
            print(f"\nDrove's error for {new_app_id}: {drove_error}")
        print()
        _say("Drove applications and instances after the run")
        apps = _print_cluster(hook)
        print()

    verdict, ok = _verdict(rollback, run_state, apps, old_app_id, new_app_id, drove_error)
    _say(f"{verdict} (demo took {time.monotonic() - started:.1f}s)")
    if ok and not keep:
        shutil.rmtree(home, ignore_errors=True)
    else:
        print(f"Airflow home kept: {home} (full Airflow output in {home / 'dags-test.log'})")
    return 0 if ok else 1


def _serving(app: Any | None) -> bool:
    return (
        app is not None
        and _state(app.state) == "RUNNING"
        and app.required_instances == INSTANCES
        and app.healthy_instances == INSTANCES
    )


def _verdict(
    rollback: bool, run_state: str, apps: dict[str, Any], old_app_id: str, new_app_id: str, drove_error: Any
) -> tuple[str, bool]:
    """Compare the run's outcome with the designed one; return a sentence and whether it matched."""
    if not rollback:
        if run_state == "success" and _serving(apps.get(new_app_id)) and old_app_id not in apps:
            return f"Release succeeded: {new_app_id} serves {INSTANCES} healthy instances, {old_app_id} is gone", True
        return f"Release did NOT end as designed (run {run_state}, apps {sorted(apps)})", False
    pulled = isinstance(drove_error, str) and "pull" in drove_error.lower()
    if run_state == "failed" and pulled and new_app_id not in apps and _serving(apps.get(old_app_id)):
        return (
            f"Rollback behaved as designed: the run failed with Drove's pull error, {new_app_id} was destroyed"
            f" and {old_app_id} keeps serving {INSTANCES} healthy instances. Exit code 0 because this failure"
            " is the expected outcome of the rollback demo",
            True,
        )
    return f"Rollback did NOT behave as designed (run {run_state}, apps {sorted(apps)}, error {drove_error!r})", False


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the demo.

    :param argv: arguments (default: ``sys.argv[1:]``).
    :return: the exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m example_dags.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rollback", action="store_true", help="release an image that cannot be pulled")
    parser.add_argument("--speed", type=float, default=10.0, help="emulator clock speed-up (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary AIRFLOW_HOME (logs, DB)")
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return run_demo(args.rollback, args.speed, args.keep)


if __name__ == "__main__":
    sys.exit(main())
