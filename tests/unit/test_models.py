"""Response models (drove-api.md §6, §11) on plain JSON, including the seed page's examples."""

from __future__ import annotations

import copy
import datetime
import json

import pendulum
import pydantic
import pytest

from airflow_provider_drove.drove.models import (
    AppSummary,
    ClusterSummary,
    ExecutorSummary,
    ExposedAppInfo,
    ExposedHost,
    InstanceInfo,
    LogChunk,
    TaskInfo,
    TaskResult,
    from_epoch_ms,
    to_epoch_ms,
)
from airflow_provider_drove.drove.states import (
    ApplicationState,
    ClusterState,
    ExecutorState,
    InstanceState,
    TaskResultStatus,
    TaskState,
)

# The `data` of each response on the seed documentation page (Application Management).
SEED = json.loads(
    r"""
{
  "list_apps": {
    "TEST_APP-1": {
      "id": "TEST_APP-1",
      "name": "TEST_APP",
      "requiredInstances": 0,
      "healthyInstances": 0,
      "totalCPUs": 0,
      "totalMemory": 0,
      "state": "MONITORING",
      "created": 1719826995764,
      "updated": 1719892126096
    }
  },
  "app_info": {
    "id": "TEST_APP-1",
    "name": "TEST_APP",
    "requiredInstances": 1,
    "healthyInstances": 1,
    "totalCPUs": 1,
    "totalMemory": 128,
    "state": "RUNNING",
    "created": 1719826995764,
    "updated": 1719892279019
  },
  "instances": [
    {
      "appId": "TEST_APP-1",
      "appName": "TEST_APP",
      "instanceId": "AI-58eb1111-8c2c-4ea2-a159-8fc68010a146",
      "executorId": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
      "localInfo": {
        "hostname": "ppessdev",
        "ports": {
          "main": {
            "containerPort": 8000,
            "hostPort": 33857,
            "portType": "HTTP"
          }
        }
      },
      "resources": [
        {
          "type": "CPU",
          "cores": {
            "0": [
              2
            ]
          }
        },
        {
          "type": "MEMORY",
          "memoryInMB": {
            "0": 128
          }
        }
      ],
      "state": "HEALTHY",
      "metadata": {},
      "errorMessage": "",
      "created": 1719892354194,
      "updated": 1719893180105
    }
  ],
  "old_instances": [
    {
      "appId": "TEST_APP-1",
      "appName": "TEST_APP",
      "instanceId": "AI-869e34ed-ebf3-4908-bf48-719475ca5640",
      "executorId": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
      "resources": [
        {
          "type": "CPU",
          "cores": {
            "0": [
              2
            ]
          }
        },
        {
          "type": "MEMORY",
          "memoryInMB": {
            "0": 128
          }
        }
      ],
      "state": "STOPPED",
      "metadata": {},
      "errorMessage": "Error while pulling image ghcr.io/appform-io/perf-test-server-httplib: Status 500: {\"message\":\"Get \\\"https://ghcr.io/v2/\\\": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)\"}\n",
      "created": 1719892279039,
      "updated": 1719892354099
    }
  ],
  "instance_info": {
    "appId": "TEST_APP-1",
    "appName": "TEST_APP",
    "instanceId": "AI-58eb1111-8c2c-4ea2-a159-8fc68010a146",
    "executorId": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
    "localInfo": {
      "hostname": "ppessdev",
      "ports": {
        "main": {
          "containerPort": 8000,
          "hostPort": 33857,
          "portType": "HTTP"
        }
      }
    },
    "resources": [
      {
        "type": "CPU",
        "cores": {
          "0": [
            2
          ]
        }
      },
      {
        "type": "MEMORY",
        "memoryInMB": {
          "0": 128
        }
      }
    ],
    "state": "HEALTHY",
    "metadata": {},
    "errorMessage": "",
    "created": 1719892354194,
    "updated": 1719893440105
  },
  "endpoints": [
    {
      "appId": "TEST_APP-1",
      "vhost": "testapp.local",
      "tags": {
        "superSpecialApp": "yes_i_am",
        "say_my_name": "heisenberg"
      },
      "hosts": [
        {
          "host": "ppessdev",
          "port": 44315,
          "portType": "HTTP"
        }
      ]
    },
    {
      "appId": "TEST_APP-2",
      "vhost": "testapp.local",
      "tags": {
        "superSpecialApp": "yes_i_am",
        "say_my_name": "heisenberg"
      },
      "hosts": [
        {
          "host": "ppessdev",
          "port": 46623,
          "portType": "HTTP"
        }
      ]
    }
  ]
}"""
)

# drove-api.md §6.2
TASK_INFO = {
    "sourceAppName": "TEST_APP",
    "taskId": "T0012",
    "instanceId": "TI-6cf36f5c-6480-4ed5-9e2d-f79d9648529a",
    "executorId": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
    "hostname": "host1",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/test-task", "dockerPullTimeout": "100 seconds"},
    "resources": [{"type": "CPU", "cores": {"0": [3]}}, {"type": "MEMORY", "memoryInMB": {"0": 512}}],
    "volumes": [],
    "loggingSpec": {"type": "LOCAL", "maxSize": "10m", "maxFiles": 3, "compress": True},
    "env": {"ITERATIONS": "10"},
    "state": "STOPPED",
    "metadata": {},
    "taskResult": {"status": "SUCCESSFUL", "exitCode": 0},
    "errorMessage": "",
    "created": 1719823470267,
    "updated": 1719823483836,
}

# drove-api.md §6.4
CLUSTER_SUMMARY = {
    "leader": "ctl1:10000",
    "state": "NORMAL",
    "numExecutors": 2,
    "numApplications": 3,
    "numActiveApplications": 1,
    "numActiveTasks": 0,
    "numLocalServices": 0,
    "numActiveLocalServices": 0,
    "freeCores": 14,
    "usedCores": 2,
    "totalCores": 16,
    "freeMemory": 30000,
    "usedMemory": 256,
    "totalMemory": 30256,
}

EXECUTOR_SUMMARY = {
    "executorId": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
    "hostname": "host1",
    "port": 3000,
    "transportType": "HTTP",
    "freeCores": 7,
    "usedCores": 1,
    "freeMemory": 16000,
    "usedMemory": 128,
    "tags": ["host1"],
    "state": "ACTIVE",
}


def _utc(ms: int) -> datetime.datetime:
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=ms)


# ---- round trips: to_json() gives back exactly the wire JSON ----------------------------------

ROUND_TRIPS = [
    pytest.param(AppSummary, SEED["app_info"], id="seed-app-info"),
    pytest.param(AppSummary, SEED["list_apps"]["TEST_APP-1"], id="seed-list-apps"),
    pytest.param(InstanceInfo, SEED["instances"][0], id="seed-instance"),
    pytest.param(InstanceInfo, SEED["old_instances"][0], id="seed-old-instance-no-localinfo"),
    pytest.param(InstanceInfo, SEED["instance_info"], id="seed-instance-info"),
    pytest.param(ExposedAppInfo, SEED["endpoints"][0], id="seed-endpoint"),
    pytest.param(TaskInfo, TASK_INFO, id="task-info"),
    pytest.param(ClusterSummary, CLUSTER_SUMMARY, id="cluster-summary"),
    pytest.param(ExecutorSummary, EXECUTOR_SUMMARY, id="executor-summary"),
    pytest.param(LogChunk, {"data": "line 1\nline 2\n", "offset": 123}, id="log-chunk"),
]


@pytest.mark.parametrize(("model", "wire"), ROUND_TRIPS)
def test_to_json_round_trips_the_wire_shape(model, wire):
    parsed = model.from_wire(copy.deepcopy(wire))
    assert parsed.to_json() == wire
    # the output is plain JSON (ints, strs, lists, dicts): XCom can store it
    assert json.loads(json.dumps(parsed.to_json())) == wire


@pytest.mark.parametrize(("model", "wire"), ROUND_TRIPS)
def test_from_wire_of_to_json_is_the_same_model(model, wire):
    parsed = model.from_wire(wire)
    assert model.from_wire(parsed.to_json()) == parsed


# ---- attributes: snake_case names over Drove's camelCase -------------------------------------


def test_app_summary_attributes_from_seed():
    app = AppSummary.from_wire(SEED["app_info"])
    assert (app.id, app.name) == ("TEST_APP-1", "TEST_APP")
    assert (app.required_instances, app.healthy_instances) == (1, 1)
    assert (app.total_cpus, app.total_memory) == (1, 128)
    assert app.state is ApplicationState.RUNNING
    assert app.tags is None
    assert isinstance(app.created, pendulum.DateTime)
    assert app.created == _utc(1719826995764)
    assert app.created.timezone_name == "UTC"
    assert app.updated == _utc(1719892279019)


def test_total_cpus_alias_is_drove_spelling():
    app = AppSummary.from_wire({"id": "A-1", "totalCPUs": 4})
    assert app.total_cpus == 4
    assert app.to_json() == {"id": "A-1", "totalCPUs": 4}
    # populate_by_name: Python code (the emulator) can build with snake_case names
    assert AppSummary(id="A-1", total_cpus=4).to_json() == {"id": "A-1", "totalCPUs": 4}


def test_instance_info_attributes_from_seed():
    inst = InstanceInfo.from_wire(SEED["instances"][0])
    assert inst.app_id == "TEST_APP-1"
    assert inst.instance_id == "AI-58eb1111-8c2c-4ea2-a159-8fc68010a146"
    assert inst.state is InstanceState.HEALTHY
    assert inst.local_info.hostname == "ppessdev"
    assert inst.local_info.ports["main"].host_port == 33857
    assert inst.local_info.ports["main"].container_port == 8000
    assert inst.error_message == ""
    old = InstanceInfo.from_wire(SEED["old_instances"][0])
    assert old.local_info is None
    assert old.state is InstanceState.STOPPED
    assert old.error_message.startswith("Error while pulling image ghcr.io/appform-io/perf-test-server-httplib")


def test_task_info_attributes():
    task = TaskInfo.from_wire(TASK_INFO)
    assert (task.source_app_name, task.task_id) == ("TEST_APP", "T0012")
    assert task.state is TaskState.STOPPED
    assert task.task_result == TaskResult(status=TaskResultStatus.SUCCESSFUL, exit_code=0)
    assert task.task_result.status is TaskResultStatus.SUCCESSFUL
    assert task.logging_spec["maxFiles"] == 3
    assert task.env == {"ITERATIONS": "10"}


def test_task_info_without_result_while_running():
    wire = {k: v for k, v in TASK_INFO.items() if k != "taskResult"} | {"state": "RUNNING"}
    task = TaskInfo.from_wire(wire)
    assert task.task_result is None
    assert "taskResult" not in task.to_json()


def test_task_result_negative_exit_code_of_cancelled_task():
    result = TaskResult.from_wire({"status": "CANCELLED", "exitCode": -1})
    assert (result.status, result.exit_code) == (TaskResultStatus.CANCELLED, -1)


def test_cluster_and_executor_summaries():
    cluster = ClusterSummary.from_wire(CLUSTER_SUMMARY)
    assert cluster.state is ClusterState.NORMAL
    assert cluster.num_active_applications == 1
    assert cluster.free_memory == 30000
    executor = ExecutorSummary.from_wire(EXECUTOR_SUMMARY)
    assert executor.state is ExecutorState.ACTIVE
    assert executor.tags == ["host1"]


def test_exposed_app_info_hosts():
    info = ExposedAppInfo.from_wire(SEED["endpoints"][1])
    assert info.app_id == "TEST_APP-2"
    assert info.hosts == [ExposedHost(host="ppessdev", port=46623, port_type="HTTP")]
    assert info.app_name is None  # the seed page leaves it out; §6.5 lists it
    assert ExposedAppInfo.from_wire({"appName": "X", "hosts": []}).app_name == "X"


def test_log_chunk():
    chunk = LogChunk.from_wire({"data": "", "offset": 4096})
    assert (chunk.data, chunk.offset) == ("", 4096)


# ---- forward compatibility --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "wire", "attr", "expected"),
    [
        (AppSummary, {"id": "A-1", "state": "HIBERNATING"}, "state", "HIBERNATING"),
        (InstanceInfo, {"instanceId": "AI-1", "state": "MIGRATING"}, "state", "MIGRATING"),
        (TaskInfo, {"taskId": "T1", "state": "PAUSED"}, "state", "PAUSED"),
        (TaskResult, {"status": "EVICTED", "exitCode": 137}, "status", "EVICTED"),
        (ClusterSummary, {"state": "READ_ONLY"}, "state", "READ_ONLY"),
        (ExecutorSummary, {"state": "DRAINING"}, "state", "DRAINING"),
    ],
)
def test_unknown_state_falls_back_to_raw_string(model, wire, attr, expected):
    parsed = model.from_wire(wire)
    value = getattr(parsed, attr)
    assert value == expected
    assert type(value) is str
    assert parsed.to_json()[attr] == expected


def test_known_state_is_the_enum_even_in_lower_case():
    assert AppSummary.from_wire({"state": "running"}).state is ApplicationState.RUNNING


@pytest.mark.parametrize(
    ("model", "wire"),
    [
        (AppSummary, SEED["app_info"] | {"newCounter": 7, "owner": {"team": "x"}}),
        (InstanceInfo, SEED["instances"][0] | {"zone": "z1"}),
        (TaskInfo, TASK_INFO | {"retries": 2}),
        (ExposedAppInfo, SEED["endpoints"][0] | {"hosts": [{"host": "h", "port": 1, "portType": "HTTP", "az": "a"}]}),
    ],
)
def test_unknown_fields_are_kept_not_rejected(model, wire):
    parsed = model.from_wire(wire)
    assert parsed.to_json() == wire


def test_null_fields_are_omitted_like_drove():
    app = AppSummary.from_wire({"id": "A-1", "state": None, "tags": None, "created": None})
    assert app.to_json() == {"id": "A-1"}
    assert app.state is None


def test_state_is_omitted_when_drove_has_no_state_machine():
    app = AppSummary.from_wire({"id": "A-1", "requiredInstances": 0})
    assert app.state is None
    assert "state" not in app.to_json()


# ---- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ms", [0, 1, 999, 1719826995764, 1719892279019, 4102444800000, -1000])
def test_epoch_ms_round_trip_is_exact(ms):
    moment = from_epoch_ms(ms)
    assert moment == _utc(ms)
    assert to_epoch_ms(moment) == ms
    assert AppSummary(created=moment).to_json() == {"created": ms}


def test_timestamps_accept_datetimes_and_keep_utc():
    aware = datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
    app = AppSummary(created=aware, updated=datetime.datetime(2024, 7, 1, 6, 30))
    assert app.created == app.updated
    assert app.created.timezone_name == "UTC"
    assert app.to_json()["created"] == app.to_json()["updated"] == 1719815400000


@pytest.mark.parametrize("bad", ["yesterday", True, [1], {"ms": 1}])
def test_bad_timestamps_are_rejected(bad):
    with pytest.raises(pydantic.ValidationError):
        AppSummary.from_wire({"created": bad})


def test_from_wire_rejects_non_objects():
    with pytest.raises(ValueError):
        AppSummary.from_wire(["not", "an", "object"])


def test_task_env_is_not_in_repr():
    task = TaskInfo.from_wire(TASK_INFO | {"env": {"DB_PASSWORD": "hunter2"}})
    assert "hunter2" not in repr(task)
    assert task.env == {"DB_PASSWORD": "hunter2"}
