"""DroveRunTaskOperator in real Airflow runs (``dag.test()``) against the Drove emulator.

Each behaviour runs twice: waiting in the worker (sync) and deferred to the trigger (which
``dag.test()`` runs inline). The emulator's task knobs come from the spec's env
(``DROVE_EMULATOR_EXIT_CODE``, ``DROVE_EMULATOR_RUN_SECONDS``, ``DROVE_EMULATOR_OUTPUT``); its clock
runs 50x, so a task's whole life takes a fraction of a second.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_drove.exceptions import DroveValidationError
from airflow_provider_drove.hooks.drove import DroveHook
from airflow_provider_drove.testing.samples import sample_task_spec

MODES = [pytest.param(False, id="sync"), pytest.param(True, id="deferred")]

HEADER = """
import pendulum
from airflow_provider_drove.operators.task import DroveRunTaskOperator
try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
"""


def dag_source(dag_id: str, operator_kwargs: str, *, dag_kwargs: str = "") -> str:
    """A DAG file with one DroveRunTaskOperator ``run`` (kwargs given as Python source)."""
    return (
        HEADER
        + f"""
with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False{dag_kwargs}) as dag:
    DroveRunTaskOperator(
        task_id="run",
        source_app_name="TEST_APP",
        image="ghcr.io/appform-io/test-task",
        poll_interval=0.2,
        {operator_kwargs}
    )
"""
    )


def assert_mode(logged: str, deferrable: bool) -> None:
    """The run took the path asked for: Airflow 3 says it paused the task, 2.11 that it ran the trigger."""
    deferred = "Pausing task as DEFERRED" in logged or "[DAG TEST] running trigger in line" in logged
    assert deferred is deferrable


def xcom(result: Any, key: str, task_id: str = "run") -> Any:
    ti = next(t for t in result.dag_run.get_task_instances() if t.task_id == task_id)
    return ti.xcom_pull(task_ids=task_id, key=key)


def wait_for_state(hook: DroveHook, app: str, task_id: str, state: str, timeout: float = 15.0) -> Any:
    """Poll the emulator (real seconds) until the task reaches ``state``."""
    end = time.monotonic() + timeout
    while True:
        task = hook.get_task(app, task_id)
        if str(task.state) == state or time.monotonic() > end:
            return task
        time.sleep(0.05)


@pytest.mark.parametrize("deferrable", MODES)
def test_success_returns_outcome_and_streams_logs(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    dag_id = f"task_ok_{'deferred' if deferrable else 'sync'}"
    result = run_dag(
        dag_source(
            dag_id,
            f"""deferrable={deferrable},
        env={{"DROVE_EMULATOR_RUN_SECONDS": "2", "DROVE_EMULATOR_OUTPUT": "applying migration 0042\\nmigrated 1234 rows"}},
        cpus=1,
        memory_mb=256,""",
        ),
        dag_id,
    )
    out, err = capfd.readouterr()
    assert result.state == "success", out[-3000:]
    outcome = result.xcoms["run"]
    task_id = xcom(result, "drove_task_id")
    assert task_id.startswith(f"{dag_id}-run-manual") and task_id.endswith("-try1")
    assert xcom(result, "drove_source_app_name") == "TEST_APP"
    assert outcome["source_app_name"] == "TEST_APP" and outcome["task_id"] == task_id
    assert (outcome["state"], outcome["result"], outcome["exit_code"]) == ("STOPPED", "SUCCESSFUL", 0)
    assert outcome["executor_id"] and outcome["hostname"] and outcome["instance_id"].startswith("TI-")
    assert outcome["duration_seconds"] > 0
    # the task's own output reached the Airflow task log, line by line, with the task's prefix
    logged = out + err
    assert_mode(logged, deferrable)
    assert f"[drove TEST_APP/{task_id}]" in logged
    assert "INFO applying migration 0042" in logged and "INFO migrated 1234 rows" in logged
    # the extra link's data is there
    assert xcom(result, "drove_controller_url")


@pytest.mark.parametrize("deferrable", MODES)
def test_non_zero_exit_fails_with_exit_code_and_drove_message(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    dag_id = f"task_exit_{'deferred' if deferrable else 'sync'}"
    result = run_dag(
        dag_source(
            dag_id,
            f"""deferrable={deferrable},
        env={{"DROVE_EMULATOR_EXIT_CODE": "3", "DROVE_EMULATOR_RUN_SECONDS": "1"}},""",
        ),
        dag_id,
    )
    out, err = capfd.readouterr()
    assert result.state == "failed"
    assert result.task_states["run"] == "failed"
    task_id = xcom(result, "drove_task_id")
    expected = (
        f"DroveOperationFailedError: Drove task TEST_APP/{task_id} STOPPED with result FAILED, exit code 3: "
        "Task instance exited with status: 3"
    )
    assert expected in out + err
    assert_mode(out + err, deferrable)
    # stderr of the container is forwarded too, marked with its file
    assert f"[drove TEST_APP/{task_id} error.log]" in out + err


@pytest.mark.parametrize("deferrable", MODES)
def test_pull_failure_fails_without_a_result(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    dag_id = f"task_pull_{'deferred' if deferrable else 'sync'}"
    result = run_dag(
        dag_source(dag_id, f"deferrable={deferrable},").replace("test-task", "pull-fail-task"),
        dag_id,
    )
    out, err = capfd.readouterr()
    assert result.task_states["run"] == "failed"
    assert "stopped without a result (the image could not be pulled" in out + err
    assert "pull-fail-task" in out + err


@pytest.mark.parametrize("deferrable", MODES)
def test_timeout_kills_the_task(
    run_dag: Any, drove_emulator: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    dag_id = f"task_timeout_{'deferred' if deferrable else 'sync'}"
    result = run_dag(
        dag_source(
            dag_id,
            f"""deferrable={deferrable},
        drove_task_id="slow-{dag_id}",
        timeout=1.5,
        env={{"DROVE_EMULATOR_RUN_SECONDS": "100000"}},""",
        ),
        dag_id,
    )
    out, err = capfd.readouterr()
    assert result.task_states["run"] == "failed"
    assert f"DroveTimeoutError: Drove task TEST_APP/slow-{dag_id} did not finish within 1.5s" in out + err
    assert "; sent KILL" in out + err
    assert_mode(out + err, deferrable)
    task = wait_for_state(DroveHook(), "TEST_APP", f"slow-{dag_id}", "STOPPED")
    assert str(task.state) == "STOPPED"
    assert str(task.task_result.status) == "CANCELLED" and task.task_result.exit_code == -1


def test_retry_uses_a_fresh_task_id(run_dag: Any, drove_connection: str) -> None:
    dag_id = "task_retry"
    result = run_dag(
        dag_source(
            dag_id,
            """retries=1,
        retry_delay=0,
        env={"DROVE_EMULATOR_EXIT_CODE": "{{ 1 if ti.try_number == 1 else 0 }}", "DROVE_EMULATOR_RUN_SECONDS": "1"},""",
        ),
        dag_id,
    )
    assert result.state == "success"
    second = xcom(result, "drove_task_id")
    assert second.endswith("-try2")
    first = second[: -len("-try2")] + "-try1"
    hook = DroveHook()
    earlier = hook.get_task("TEST_APP", first)
    assert (str(earlier.task_result.status), earlier.task_result.exit_code) == ("FAILED", 1)
    assert result.xcoms["run"]["task_id"] == second and result.xcoms["run"]["result"] == "SUCCESSFUL"
    # Drove refuses a second CREATE with an id whose record still exists: the derived id avoids it.
    with pytest.raises(DroveValidationError, match="Task already exists"):
        hook.create_task(sample_task_spec(first))


def test_a_fixed_task_id_collides_with_a_clear_message_and_delete_frees_it(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str]
) -> None:
    def run(n: int, tid: str, delete: bool) -> Any:
        kwargs = f'drove_task_id="{{{{ params.tid }}}}", env={{"DROVE_EMULATOR_RUN_SECONDS": "1"}}, delete_on_completion={delete},'
        dag_id = f"task_fixed_{n}"
        return run_dag(dag_source(dag_id, kwargs, dag_kwargs=f', params={{"tid": "{tid}"}}'), dag_id)

    assert run(1, "fixed-1", delete=False).state == "success"
    again = run(2, "fixed-1", delete=True)
    out, err = capfd.readouterr()
    assert again.state == "failed"
    assert "Drove already has a task TEST_APP/fixed-1" in out + err and "Task already exists" in out + err
    # with delete_on_completion the record is gone after the run, so the id is free again
    assert run(3, "fixed-2", delete=True).state == "success"
    fourth = run(4, "fixed-2", delete=True)
    assert fourth.state == "success"


def test_full_spec_from_a_templated_json_file(run_dag: Any, drove_connection: str, tmp_path: Any) -> None:
    spec_file = tmp_path / "task.json"
    spec_file.write_text(
        """{
          "sourceAppName": "TEST_APP",
          "taskId": "from-file-{{ params.suffix }}",
          "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/test-task", "dockerPullTimeout": "100 seconds"},
          "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
          "placementPolicy": {"type": "ANY"},
          "env": {"DROVE_EMULATOR_RUN_SECONDS": "1"}
        }"""
    )
    source = (
        HEADER
        + f"""
with DAG("task_file", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False, params={{"suffix": "x1"}}) as dag:
    DroveRunTaskOperator(task_id="run", task_spec="{spec_file}", poll_interval=0.2, stream_logs=False)
"""
    )
    result = run_dag(source, "task_file")
    assert result.state == "success"
    assert result.xcoms["run"]["task_id"] == "from-file-x1"
    assert xcom(result, "drove_task_id") == "from-file-x1"


def test_no_wait_returns_ids_right_after_create(run_dag: Any, drove_connection: str) -> None:
    result = run_dag(dag_source("task_nowait", 'wait_for_completion=False, drove_task_id="nowait-1",'), "task_nowait")
    assert result.state == "success"
    assert result.xcoms["run"] == {"source_app_name": "TEST_APP", "task_id": "nowait-1"}
    task = wait_for_state(DroveHook(), "TEST_APP", "nowait-1", "STOPPED")
    assert str(task.task_result.status) == "SUCCESSFUL"


def test_unreadable_logs_are_reported_and_do_not_fail_the_task(
    run_dag: Any, drove_emulator: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_DEFAULT", json.dumps(drove_emulator.airflow_connection(max_retries=0)))
    drove_emulator.control.inject_faults(status=500, count=10_000, path="/apis/v1/logfiles")
    result = run_dag(dag_source("task_nologs", 'drove_task_id="nologs-1", env={"DROVE_EMULATOR_RUN_SECONDS": "1"},'), "task_nologs")
    out, err = capfd.readouterr()
    assert result.state == "success"
    logged = out + err
    # (said once per wait: see the unit tests; Airflow 2's doubled handlers make counting here unreliable)
    assert "Logs of Drove task TEST_APP/nologs-1 are not available (DroveUnavailableError" in logged
    assert "No log lines of Drove task TEST_APP/nologs-1 could be read" in logged
    assert drove_emulator.control.faults_fired.get("status", 0) >= 1


def test_on_kill_sends_kill(drove_connection: str) -> None:
    from types import SimpleNamespace

    import pendulum

    from airflow_provider_drove.operators.task import DroveRunTaskOperator

    try:
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2
        from airflow import DAG

    with DAG("onkill", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        op = DroveRunTaskOperator(
            task_id="run",
            source_app_name="TEST_APP",
            image="ghcr.io/appform-io/test-task",
            drove_task_id="killed-1",
            env={"DROVE_EMULATOR_RUN_SECONDS": "100000"},
            wait_for_completion=False,
        )
    pushed: dict[str, Any] = {}
    ti = SimpleNamespace(try_number=1, map_index=-1, xcom_push=lambda key, value: pushed.__setitem__(key, value))
    op.execute({"ti": ti, "run_id": "r"})  # type: ignore[arg-type]
    assert pushed["drove_task_id"] == "killed-1" and pushed["drove_source_app_name"] == "TEST_APP"
    hook = DroveHook()
    wait_for_state(hook, "TEST_APP", "killed-1", "RUNNING") if _visible(hook) else None
    op.on_kill()
    task = wait_for_state(hook, "TEST_APP", "killed-1", "STOPPED")
    assert (str(task.task_result.status), task.task_result.exit_code) == ("CANCELLED", -1)
    op.on_kill()  # nothing left to kill: said, not raised


def _visible(hook: DroveHook) -> bool:
    from airflow_provider_drove.exceptions import DroveNotFoundError

    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            hook.get_task("TEST_APP", "killed-1")
            return True
        except DroveNotFoundError:
            time.sleep(0.05)
    return False


@pytest.mark.parametrize("deferrable", MODES)
def test_execution_timeout_also_kills_the_task(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    # Sync: Airflow interrupts execute() and calls on_kill. Deferred: the trigger's wait ends just
    # before execution_timeout, so the resumed operator can still send KILL.
    from airflow.providers.common.compat.sdk import AirflowTaskTimeout

    dag_id = f"task_exec_timeout_{'deferred' if deferrable else 'sync'}"
    source = dag_source(
        dag_id,
        f"""deferrable={deferrable},
        drove_task_id="exec-{dag_id}",
        execution_timeout=__import__("datetime").timedelta(seconds=4),
        env={{"DROVE_EMULATOR_RUN_SECONDS": "100000"}},""",
    )
    try:
        result = run_dag(source, dag_id)
    except AirflowTaskTimeout:
        # Airflow 2.11's dag.test() lets this BaseException escape instead of failing the task
        assert not deferrable
    else:
        assert result.task_states["run"] == "failed"
    task = wait_for_state(DroveHook(), "TEST_APP", f"exec-{dag_id}", "STOPPED")
    assert (str(task.task_result.status), task.task_result.exit_code) == ("CANCELLED", -1)


def test_mapped_tasks_get_one_drove_task_each(run_dag: Any, drove_connection: str) -> None:
    source = (
        HEADER
        + """
with DAG("task_mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False) as dag:
    DroveRunTaskOperator.partial(
        task_id="run", source_app_name="TEST_APP", image="ghcr.io/appform-io/test-task", poll_interval=0.2
    ).expand(env=[{"DROVE_EMULATOR_RUN_SECONDS": "1"}, {"DROVE_EMULATOR_RUN_SECONDS": "2"}])
"""
    )
    result = run_dag(source, "task_mapped")
    assert result.state == "success"
    ids = sorted(
        ti.xcom_pull(task_ids="run", key="drove_task_id", map_indexes=ti.map_index)
        for ti in result.dag_run.get_task_instances()
    )
    assert len(ids) == 2 and ids[0] != ids[1]
    assert ids[0].startswith("task_mapped-run-0-manual") and ids[1].startswith("task_mapped-run-1-manual")


@pytest.mark.parametrize("deferrable", MODES)
def test_env_secrets_stay_out_of_logs_xcom_and_trigger(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    # Drove echoes a task's env in TaskInfo (§6.2); none of it may reach logs, XCom or the trigger.
    secret = "s3cret-db-password-42"
    dag_id = f"task_secret_{'deferred' if deferrable else 'sync'}"
    result = run_dag(
        dag_source(dag_id, f'deferrable={deferrable}, env={{"DB_PASSWORD": "{secret}", "DROVE_EMULATOR_RUN_SECONDS": "1"}},'),
        dag_id,
    )
    out, err = capfd.readouterr()
    assert result.state == "success"
    assert secret not in out + err
    assert secret not in json.dumps(result.xcoms)
    assert all(secret not in json.dumps(xcom(result, key)) for key in ("drove_task_id", "drove_source_app_name"))


def test_transient_errors_are_ridden_out_then_bounded(
    run_dag: Any, drove_emulator: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_DEFAULT", json.dumps(drove_emulator.airflow_connection(max_retries=0)))
    reads = "/apis/v1/tasks/TEST_APP/instances"
    # two failed reads in a row: within the budget, the wait goes on and succeeds
    drove_emulator.control.inject_faults(status=503, count=2, path=reads)
    ok = run_dag(dag_source("task_flaky", 'drove_task_id="flaky-1", env={"DROVE_EMULATOR_RUN_SECONDS": "1"},'), "task_flaky")
    assert ok.state == "success"
    assert drove_emulator.control.faults_fired.get("status") == 2
    # reads failing for good: the wait gives up after its budget and kills the task it cannot watch
    drove_emulator.control.inject_faults(status=503, count=10_000, path=reads)
    gone = run_dag(
        dag_source("task_blind", 'drove_task_id="blind-1", max_consecutive_errors=2, env={"DROVE_EMULATOR_RUN_SECONDS": "100000"},'),
        "task_blind",
    )
    out, err = capfd.readouterr()
    assert gone.task_states["run"] == "failed"
    assert "Waiting for the Drove task failed: gave up after 3 failed polls in a row" in out + err
    assert "; sent KILL" in out + err
    drove_emulator.control.clear_faults()
    task = wait_for_state(DroveHook(), "TEST_APP", "blind-1", "STOPPED")
    assert str(task.task_result.status) == "CANCELLED"
