"""Operators that change Drove applications: create, scale, start/stop/replace instances, suspend,
destroy, cancel, and any operation payload. Each one tells the truth about the outcome.

This module holds the public operator classes only: each checks its own parameters
(``_validate``) and, where it differs, decides what to send (``_decide``). The flow they share
(check the app, submit, wait or defer, finish, cancel on failure) lives in
:mod:`airflow_provider_drove.operators.base`, the plans in :mod:`airflow_provider_drove.drove.plans`
and the input checks in :mod:`airflow_provider_drove.operators.inputs`; their names are importable
from here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove import operations as ops
from airflow_provider_drove.drove.conditions import AppCondition, AppSnapshot, app_state, describe_app
from airflow_provider_drove.drove.plans import (
    ALLOWED_STATES,
    IDLE_CONDITION,
    IDLE_STATES,
    MAX_RESUBMITS,
    Busy,
    Finished,
    PlanOptions,
    Step,
    not_allowed,
    plan_operation,
)
from airflow_provider_drove.drove.specs import parse_application_spec, spec_differences
from airflow_provider_drove.exceptions import DroveInputError, DroveOperationFailedError
from airflow_provider_drove.operators.base import DEFAULT_CONN_ID, DroveApplicationBaseOperator
from airflow_provider_drove.operators.inputs import (
    as_bool,
    as_count,
    as_seconds,
    check_app_id,
    check_failures,
    dag_folder,
    id_list,
    load_spec,
)

if TYPE_CHECKING:
    from airflow_provider_drove.hooks.drove import DroveHook

__all__ = [
    "ALLOWED_STATES",
    "DEFAULT_CONN_ID",
    "IDLE_CONDITION",
    "MAX_RESUBMITS",
    "Busy",
    "DroveApplicationBaseOperator",
    "DroveApplicationOperationOperator",
    "DroveCancelOperationOperator",
    "DroveCreateApplicationOperator",
    "DroveDestroyApplicationOperator",
    "DroveReplaceInstancesOperator",
    "DroveScaleApplicationOperator",
    "DroveStartInstancesOperator",
    "DroveStopInstancesOperator",
    "DroveSuspendApplicationOperator",
    "Finished",
    "PlanOptions",
    "Step",
    "as_bool",
    "as_count",
    "as_seconds",
    "check_app_id",
    "check_failures",
    "load_spec",
    "not_allowed",
    "plan_operation",
]


class DroveScaleApplicationOperator(DroveApplicationBaseOperator):
    """Scale a Drove app to ``required_instances`` and wait until exactly that many are healthy.

    :param app_id: the app id. Templated.
    :param required_instances: the target count, 0..2048. Templated.

    Other parameters: see :class:`DroveApplicationBaseOperator`.
    """

    template_fields: Sequence[str] = (*DroveApplicationBaseOperator.template_fields, "required_instances")
    op_type = "SCALE"

    def __init__(self, *, app_id: str, required_instances: int | str, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.required_instances = required_instances

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)
        count = as_count("required_instances", self.required_instances)
        self._payload = ops.scale(self._app_id, count, self._op_spec)


class DroveStartInstancesOperator(DroveApplicationBaseOperator):
    """Start ``instances`` more instances of a Drove app and wait until they are healthy.

    :param app_id: the app id. Templated.
    :param instances: how many new instances, 0..1024. Templated.
    """

    template_fields: Sequence[str] = (*DroveApplicationBaseOperator.template_fields, "instances")
    op_type = "START_INSTANCES"

    def __init__(self, *, app_id: str, instances: int | str, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.instances = instances

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)
        self._payload = ops.start_instances(self._app_id, as_count("instances", self.instances), self._op_spec)


class DroveStopInstancesOperator(DroveApplicationBaseOperator):
    """Stop specific instances of a Drove app and wait until they are gone.

    Without ``skip_respawn`` Drove's app monitor starts replacements within about 30 s; with it,
    ``requiredInstances`` drops by the number stopped.

    :param app_id: the app id. Templated.
    :param instance_ids: the instance ids (``AI-...``) to stop. Templated.
    :param skip_respawn: do not replace the stopped instances.
    """

    template_fields: Sequence[str] = (*DroveApplicationBaseOperator.template_fields, "instance_ids")
    op_type = "STOP_INSTANCES"

    def __init__(self, *, app_id: str, instance_ids: Sequence[str] | str, skip_respawn: bool = False, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.instance_ids = instance_ids
        self.skip_respawn = skip_respawn

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)
        ids = self.instance_ids
        if isinstance(ids, str):  # a rendered template: a JSON list or comma-separated ids
            ids = id_list("instance_ids", ids)
        self._payload = ops.stop_instances(
            self._app_id, ids, as_bool("skip_respawn", self.skip_respawn), self._op_spec
        )


class DroveReplaceInstancesOperator(DroveApplicationBaseOperator):
    """Rolling restart: replace instances of a Drove app; done when every instance healthy at the
    start (or each listed one) has been replaced and the healthy count is back.

    :param app_id: the app id. Templated.
    :param instance_ids: the instances to replace; ``None`` means all healthy ones. Templated.
    :param stop_first: stop each old instance before starting its replacement (default: start first).
    """

    template_fields: Sequence[str] = (*DroveApplicationBaseOperator.template_fields, "instance_ids")
    op_type = "REPLACE_INSTANCES"

    def __init__(
        self, *, app_id: str, instance_ids: Sequence[str] | str | None = None, stop_first: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.instance_ids = instance_ids
        self.stop_first = stop_first

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)
        ids = self.instance_ids
        if isinstance(ids, str):
            ids = id_list("instance_ids", ids, allow_empty=True)
        self._payload = ops.replace_instances(self._app_id, ids, as_bool("stop_first", self.stop_first), self._op_spec)


class DroveSuspendApplicationOperator(DroveApplicationBaseOperator):
    """Suspend a Drove app (scale to zero; it ends in MONITORING). An already suspended app is left as is.

    :param app_id: the app id. Templated.
    """

    op_type = "SUSPEND"

    def __init__(self, *, app_id: str, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)
        self._payload = ops.suspend(self._app_id, self._op_spec)


class DroveDestroyApplicationOperator(DroveApplicationBaseOperator):
    """Destroy a Drove app and wait until it is gone; an app that does not exist counts as destroyed.

    Drove destroys only apps in MONITORING (no instances); with ``suspend_first`` a RUNNING app is
    suspended first and the operator waits for that before destroying.

    :param app_id: the app id. Templated.
    :param suspend_first: suspend a RUNNING app before destroying it.
    """

    op_type = "DESTROY"

    def __init__(self, *, app_id: str, suspend_first: bool = False, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.suspend_first = suspend_first

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)
        self._suspend_first = as_bool("suspend_first", self.suspend_first)
        self._payload = ops.destroy(self._app_id, self._op_spec)

    def _plan_options(self) -> PlanOptions:
        options = super()._plan_options()
        options.suspend_first = self._suspend_first
        return options

    def _missing(self) -> Finished:
        return Finished(f"{self._app_id} does not exist (any more): nothing to destroy")


class DroveCancelOperationOperator(DroveApplicationBaseOperator):
    """Cancel the operation running on a Drove app, and (by default) wait until the app is idle.

    Pushes XCom ``drove_cancelled``: ``True`` when an operation was running and Drove accepted the
    cancel, ``False`` when there was nothing to cancel. Cancelling a scale rolls
    ``requiredInstances`` back to the healthy count (``drove-api.md`` §7.6).

    :param app_id: the app id. Templated.
    """

    op_type = "CANCEL"

    def __init__(self, *, app_id: str, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)

    def _validate(self) -> None:
        self._app_id = check_app_id(self.app_id)

    def _decide(self, snapshot: AppSnapshot) -> Step | Finished | Busy:
        if snapshot.app is None:
            return self._missing()
        if app_state(snapshot.app) in IDLE_STATES:
            self._push_cancelled(False)
            return Finished(f"No operation is running on {describe_app(self._app_id, snapshot)}: nothing to cancel")
        return Step("CANCEL", None, IDLE_CONDITION, cancellable=False, send=self._send_cancel)

    def _send_cancel(self, hook: DroveHook) -> bool:
        accepted = hook.cancel_operation(self._app_id)
        self._push_cancelled(accepted)
        self.log.info(
            "%s", "Drove accepted the cancel" if accepted else "Drove says the current operation cannot be cancelled"
        )
        return accepted

    def _push_cancelled(self, value: bool) -> None:
        self._context["ti"].xcom_push(key="drove_cancelled", value=value)


class DroveCreateApplicationOperator(DroveApplicationBaseOperator):
    """Create a Drove app from a spec and return its id (``name-version``).

    When the app already exists with the same spec (e.g. a task retry) nothing is sent and the
    operator succeeds; with a different spec it fails saying which fields differ. With
    ``instances > 0`` it waits until that many are healthy.

    :param spec: the ApplicationSpec: a dict, a JSON string, or a path to a JSON file (relative paths
        are read from the DAG's folder). Templated.
    :param instances: instances to start after creating, 0..2048. Templated.
    """

    template_fields: Sequence[str] = ("spec", "instances", "op_timeout", "parallelism")
    op_type = "CREATE"

    def __init__(self, *, spec: Mapping[str, Any] | str, instances: int | str = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.instances = instances

    def _validate(self) -> None:
        self._spec = parse_application_spec(load_spec(self.spec, dag_folder=dag_folder(self)), field="spec")
        self._instances = as_count("instances", self.instances)
        self._payload = ops.create(self._spec, self._instances, self._op_spec)
        self._app_id = self._spec.app_id
        self.app_id = self._app_id

    def _decide(self, snapshot: AppSnapshot) -> Step | Finished | Busy:
        if snapshot.app is None:
            condition = AppCondition(
                kind="counts",
                required_instances=self._instances,
                known_failure_ids=(),
                max_instance_failures=self._max_failures,
            )
            return Step("CREATE", dict(self._payload), condition, cancellable=self._instances > 0)
        remote = self.hook.get_application_spec(self._app_id)
        try:
            differences = spec_differences(self._spec, remote)
        except Exception:  # noqa: BLE001 - Drove echoed something our parser rejects: compare as is
            differences = [] if remote == self._spec.to_wire() else ["spec"]
        if differences:
            raise DroveOperationFailedError(
                f"App {self._app_id} already exists with a different spec ({', '.join(differences[:8])}"
                f"{', ...' if len(differences) > 8 else ''} differ). Drove cannot change an app's spec: "
                "give the new spec a new version, or destroy the old app first."
            )
        return Finished(f"App {self._app_id} already exists with the same spec (a retry?): not creating it again")

    def _result(self, app_json: dict[str, Any] | None) -> Any:
        return self._app_id


class DroveApplicationOperationOperator(DroveApplicationBaseOperator):
    """Run any application operation payload (``drove-api.md`` §7.2), for power users, with the
    same checks and truthful wait as the dedicated operators.

    :param operation: the wire payload, e.g. ``{"type": "SCALE", "appId": "TEST_APP-1",
        "requiredInstances": 2, "opSpec": {...}}``; a missing ``opSpec`` gets the operator's
        ``op_timeout``/``parallelism``. Templated.
    """

    template_fields: Sequence[str] = ("operation", "op_timeout", "parallelism")

    def __init__(self, *, operation: Mapping[str, Any] | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation = operation

    def _validate(self) -> None:
        operation = self.operation
        if isinstance(operation, str):
            try:
                operation = json.loads(operation)
            except ValueError as err:
                raise DroveInputError("operation", f"is not valid JSON: {err}") from None
        if not isinstance(operation, Mapping):
            raise DroveInputError("operation", f"must be a dict payload with a 'type', got {type(operation).__name__}")
        operation = dict(operation)
        if operation.get("type") not in ("RECOVER", None) and "opSpec" not in operation:
            operation["opSpec"] = self._op_spec
        self._payload = ops.validate_app_operation(operation, field="operation")
        self.op_type = self._payload["type"]
        if self.op_type == "CREATE":
            self._app_id = parse_application_spec(self._payload["spec"], field="operation.spec").app_id
        else:
            self._app_id = check_app_id(self._payload.get("appId"), "operation.appId")
        self.app_id = self._app_id

    def _decide(self, snapshot: AppSnapshot) -> Step | Finished | Busy:
        if self.op_type == "CREATE":
            return self._create_twin()._decide(snapshot)
        if self.op_type == "DESTROY" and snapshot.app is None:
            return Finished(f"{self._app_id} does not exist (any more): nothing to destroy")
        return super()._decide(snapshot)

    def _create_twin(self) -> DroveCreateApplicationOperator:
        twin = DroveCreateApplicationOperator.__new__(DroveCreateApplicationOperator)
        twin.__dict__.update(self.__dict__)
        twin._spec = parse_application_spec(self._payload["spec"], field="operation.spec")
        twin._instances = self._payload.get("instances", 0)
        return twin
