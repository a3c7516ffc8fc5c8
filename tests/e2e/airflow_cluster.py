"""A real Airflow 3 deployment in a temporary AIRFLOW_HOME, for end-to-end tests.

Airflow 3 runs task code in workers that talk to the API server's Execution API, so the smallest
set that executes a DAG run with deferrable tasks is four processes: ``api-server`` (Execution API),
``scheduler`` (with LocalExecutor workers), ``dag-processor`` (parses the DAGs folder; no longer
part of the scheduler) and ``triggerer`` (runs deferred waits). LocalExecutor on SQLite is accepted
by Airflow 3.3, so no database server is needed.

Each process runs in its own process group (``start_new_session``) so that stopping it also stops
the workers and log servers it forked; ``stop()`` sends SIGTERM to every group, waits, then
SIGKILLs what is left (the 3.3 triggerer can hang in "Waiting for triggers to clean up").

The test process never imports this deployment's Airflow configuration: the environment of the
children is built from scratch, and the metadata DB is read with :mod:`sqlite3` (read-only).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPONENTS: tuple[str, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")
#: What Airflow 3.3's scheduler logs when a quick defer/resume races the executor event.
RESUME_RACE = "but the task instance's state attribute is"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    :return: the port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunObservation:
    """What was seen of one DAG run while waiting for it.

    :param state: the final DAG run state (``success``/``failed``) or the last one seen on timeout.
    :param task_states: task id to its final state.
    :param seen_states: task id to every state observed while polling, in order, without repeats.
    :param elapsed: seconds from the start of the wait to the end.
    :param triggers: trigger id to ``(classpath, serialized kwargs)`` of every trigger row seen while
        polling (Airflow deletes the rows once the trigger fired).
    """

    state: str
    task_states: dict[str, str | None]
    seen_states: dict[str, list[str]] = field(default_factory=dict)
    elapsed: float = 0.0
    triggers: dict[int, tuple[str, str]] = field(default_factory=dict)


class AirflowCluster:
    """Start, inspect and stop a real Airflow scheduler, triggerer, API server and DAG processor.

    :param home: an empty directory to use as AIRFLOW_HOME (DAGs go to ``home/dags``).
    :param extra_env: more environment for every process (e.g. ``AIRFLOW_CONN_DROVE_DEFAULT``).
    :param python: the interpreter whose Airflow to run; defaults to the current one.
    """

    def __init__(self, home: Path, extra_env: Mapping[str, str] | None = None, python: str | None = None) -> None:
        self.home = Path(home)
        self.dags_folder = self.home / "dags"
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        self.process_logs = self.home / "process-logs"
        self.process_logs.mkdir(exist_ok=True)
        self.db_path = self.home / "airflow.db"
        self.python = python or sys.executable
        self.api_port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = self._build_env(dict(extra_env or {}))

    # -- set-up -------------------------------------------------------------------------------

    def _build_env(self, extra_env: dict[str, str]) -> dict[str, str]:
        # Nothing of the calling test session's Airflow set-up (unit-test mode, its own home and
        # DB, connections) may leak into the deployment under test.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        api = f"http://127.0.0.1:{self.api_port}"
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__BASE_URL": api,
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
                # The log servers default to fixed ports; parallel suites must not collide.
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
                # A worker's supervisor notices its task process exited only when its select()
                # times out (up to this interval). Airflow 3.3.2 fails a task whose trigger fired
                # and got it re-queued before the scheduler saw the executor event of the exit
                # after defer() ("finished with state success, but ... state attribute is queued"),
                # so short deferrals race with this delay: keep it short.
                "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra_env)
        return env

    def airflow(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run one ``airflow`` CLI command against this deployment and fail loudly if it fails.

        :param args: the CLI arguments after ``airflow``.
        :param timeout: seconds before the command is abandoned.
        :return: the completed process (stdout/stderr as text).
        """
        result = subprocess.run(
            [self.python, "-m", "airflow", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def migrate(self) -> None:
        """Create the metadata database (``airflow db migrate``)."""
        self.airflow("db", "migrate")

    def add_dag_file(self, source: Path | str, name: str | None = None) -> Path:
        """Put a DAG file into the DAGs folder.

        :param source: a path to copy, or the file's text.
        :param name: file name in the DAGs folder (default: the source's name).
        :return: the path written.
        """
        if isinstance(source, Path):
            target = self.dags_folder / (name or source.name)
            target.write_text(source.read_text())
        else:
            if not name:
                raise ValueError("name is required when source is text")
            target = self.dags_folder / name
            target.write_text(source)
        return target

    def start(self, components: Iterable[str] = COMPONENTS) -> None:
        """Start each component in its own process group, stdout+stderr to ``process-logs/<name>.log``.

        :param components: which ``airflow`` sub-commands to start.
        """
        for name in components:
            log = open(self.process_logs / f"{name}.log", "wb")  # noqa: SIM115 - owned by the child
            self.processes[name] = subprocess.Popen(
                [self.python, "-m", "airflow", name],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.home,
                start_new_session=True,
            )
            log.close()

    def stop(self, grace: float = 6.0) -> list[str]:
        """Stop every process group started, SIGTERM first, SIGKILL after ``grace`` seconds.

        :return: the components whose process group still exists afterwards (empty when all stopped).
        """
        for proc in self.processes.values():
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        # Children of a component (workers, log servers) live in the same group; kill the group
        # even when its leader already exited.
        for proc in self.processes.values():
            _signal_group(proc.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        time.sleep(0.2)
        return [name for name, proc in self.processes.items() if _group_alive(proc.pid)]

    # -- waiting ------------------------------------------------------------------------------

    def check_alive(self) -> None:
        """Raise if a started component exited (its log tail is in the message)."""
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def wait_ready(self, timeout: float = 120) -> float:
        """Wait until the API server answers its health check and the scheduler and triggerer are up.

        :return: seconds waited.
        """
        start = time.monotonic()
        url = f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health"
        while True:
            self.check_alive()
            health = _get_json(url)
            if health and all(
                (health.get(part) or {}).get("status") == "healthy" for part in ("metadatabase", "scheduler", "triggerer")
            ):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"Airflow not ready after {timeout}s; last health: {health}\n{self.diagnostics()}")
            time.sleep(0.5)

    def wait_dag(self, dag_id: str, timeout: float = 90) -> float:
        """Wait until the DAG processor has stored ``dag_id`` (and it has no import error).

        :return: seconds waited.
        """
        start = time.monotonic()
        while True:
            self.check_alive()
            if self.query("SELECT 1 FROM dag WHERE dag_id = ? AND is_stale = 0", (dag_id,)):
                return time.monotonic() - start
            errors = self.query("SELECT filename, stacktrace FROM import_error")
            if errors:
                raise RuntimeError(f"DAG import errors: {errors}")
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"DAG {dag_id} not parsed after {timeout}s\n{self.diagnostics()}")
            time.sleep(0.5)

    def trigger(self, dag_id: str, run_id: str, conf: Mapping[str, Any] | None = None) -> None:
        """Create a DAG run through the ``airflow dags trigger`` CLI."""
        self.airflow("dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps(dict(conf or {})))

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 180, poll: float = 0.25) -> RunObservation:
        """Poll the DAG run until it finishes, recording every task state seen on the way.

        :return: the observation; on timeout it is raised inside a :class:`TimeoutError` message.
        """
        start = time.monotonic()
        seen: dict[str, list[str]] = {}
        triggers: dict[int, tuple[str, str]] = {}
        while True:
            self.check_alive()
            for trigger_id, classpath, kwargs in self.query("SELECT id, classpath, kwargs FROM trigger"):
                triggers[int(trigger_id)] = (classpath, str(kwargs))
            for task_id, state in self.query(
                "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
            ):
                states = seen.setdefault(task_id, [])
                if state and (not states or states[-1] != state):
                    states.append(state)
            rows = self.query("SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))
            state = rows[0][0] if rows else "absent"
            elapsed = time.monotonic() - start
            if state in ("success", "failed") or elapsed > timeout:
                obs = RunObservation(state, self.task_states(dag_id, run_id), seen, elapsed, triggers)
                if state not in ("success", "failed"):
                    raise TimeoutError(f"run {run_id} still {state} after {timeout}s: {obs}\n{self.diagnostics()}")
                return obs
            time.sleep(poll)

    # -- inspection ---------------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query on the metadata DB (returns no rows before the DB exists)."""
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as err:
            if "no such table" in str(err):
                return []
            raise
        finally:
            conn.close()

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """Task id to its current state for one run."""
        rows = self.query("SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))
        return {task_id: state for task_id, state in rows}

    def task_events(self, dag_id: str, run_id: str) -> list[tuple[str, str, int]]:
        """The audit log of task state changes for a run: ``(task_id, event, try_number)`` in order.

        Airflow writes one row per task state change (``running``, ``deferred``, ``success``, ...);
        a task that deferred has a ``deferred`` row followed by a second ``running`` row of the
        same try (the resume after the trigger fired).
        """
        return [
            (task_id, event, int(try_number or 0))
            for task_id, event, try_number in self.query(
                "SELECT task_id, event, try_number FROM log WHERE dag_id = ? AND run_id = ? AND task_id IS NOT NULL"
                " ORDER BY id",
                (dag_id, run_id),
            )
        ]

    def task_log_files(self, dag_id: str, run_id: str | None = None) -> list[Path]:
        """Every task and trigger log file of a DAG (``*.log`` and ``*.log.trigger.<id>.log``)."""
        base = self.home / "logs" / f"dag_id={dag_id}"
        if run_id:
            base = base / f"run_id={run_id}"
        return sorted(p for p in base.rglob("*.log") if p.is_file()) if base.exists() else []

    def trigger_log_files(self, dag_id: str, run_id: str) -> list[Path]:
        """The log files the triggerer wrote for a run's deferred tasks."""
        return [p for p in self.task_log_files(dag_id, run_id) if ".log.trigger." in p.name]

    def all_log_files(self) -> list[Path]:
        """Every file under ``logs/`` plus the components' own output."""
        logs = self.home / "logs"
        found = sorted(p for p in logs.rglob("*") if p.is_file()) if logs.exists() else []
        return found + sorted(self.process_logs.glob("*.log"))

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The last lines a component printed."""
        path = self.process_logs / f"{name}.log"
        if not path.exists():
            return "(no output)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def diagnostics(self) -> str:
        """Log tails of every component, for assertion messages (known Airflow races named first)."""
        parts = [f"AIRFLOW_HOME={self.home}"]
        scheduler_log = self.process_logs / "scheduler.log"
        if scheduler_log.exists():
            races = [line for line in scheduler_log.read_text(errors="replace").splitlines() if RESUME_RACE in line]
            if races:
                parts.append(
                    "Airflow's scheduler failed a task that resumed from a deferral before it processed the"
                    " executor event of the deferring try (an Airflow 3.3 race, not a provider error):"
                )
                parts += races

        for name in self.processes:
            parts.append(f"----- {name} -----\n{self.log_tail(name)}")
        return "\n".join(parts)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for a reaper do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ')'.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _get_json(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
