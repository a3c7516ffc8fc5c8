"""Extra links that open a Drove app or task in the controller UI (``drove-api.md`` §6.8).

An operator calls :meth:`DroveLink.persist` as soon as it knows the ids (before waiting). That
pushes the controller UI base URL and the ids to XCom, plus the finished link under the link's
own ``xcom_key``, so the button works while the task is still running or deferred (Airflow 3
serves links from that key) and afterwards (Airflow 2 calls :meth:`DroveLink.get_link`).
No credentials ever go into a link: the base comes from the hook's ``ui_url``.

To add a link for another Drove page, subclass :class:`DroveLink` with a ``name``, a
``path_template`` and the XCom keys it reads (``xcom_keys``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context, TaskInstanceKey

#: XCom key holding the controller UI base URL, e.g. ``http://drove.example:10000``.
CONTROLLER_URL_XCOM_KEY = "drove_controller_url"
#: XCom key holding the app id an application operator works on.
APP_ID_XCOM_KEY = "drove_app_id"
#: XCom keys holding a task's ``sourceAppName`` and ``taskId`` (pushed by the task operators).
SOURCE_APP_NAME_XCOM_KEY = "drove_source_app_name"
TASK_ID_XCOM_KEY = "drove_task_id"


def controller_ui_base(hook: Any) -> str:
    """The controller UI base URL (no trailing slash, no credentials) from a Drove hook.

    :param hook: a ``DroveHook`` (its ``ui_url``).
    :return: e.g. ``http://drove.example:10000``.
    """
    return str(hook.ui_url("/")).rstrip("/")


class DroveLink(BaseOperatorLink):
    """Base of the Drove links: ``<controller><path_template>`` filled from XCom.

    :cvar path_template: the page path with ``{xcom_key}`` placeholders.
    :cvar xcom_keys: the XCom keys the template reads.
    """

    name = "Drove"
    path_template: ClassVar[str] = "/"
    xcom_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def build_url(cls, controller_url: str | None, values: dict[str, Any]) -> str:
        """Fill the template; ``""`` when any part is unknown (Airflow then shows no link).

        :param controller_url: the controller UI base.
        :param values: XCom key to value.
        :return: the URL, or ``""``.
        """
        if not controller_url or any(not values.get(k) for k in cls.xcom_keys):
            return ""
        path = cls.path_template.format(**{k: quote(str(values[k]), safe="") for k in cls.xcom_keys})
        return controller_url.rstrip("/") + path

    @classmethod
    def persist(cls, context: Context, controller_url: str, **values: Any) -> str:
        """Push what the link needs (and the link itself) to XCom for the running task.

        :param context: the task context.
        :param controller_url: the controller UI base (see :func:`controller_ui_base`).
        :param values: the ids named in ``xcom_keys``.
        :return: the link URL.
        """
        ti = context["ti"]
        ti.xcom_push(key=CONTROLLER_URL_XCOM_KEY, value=controller_url)
        for key in cls.xcom_keys:
            ti.xcom_push(key=key, value=values[key])
        url = cls.build_url(controller_url, values)
        # Airflow 3 serves links from this key (it exists only there); Airflow 2 calls get_link.
        link_key = getattr(cls(), "xcom_key", None)
        if link_key:
            ti.xcom_push(key=link_key, value=url)
        return url

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        """Rebuild the URL from the task's XComs.

        :param operator: the operator (unused: everything comes from XCom).
        :param ti_key: the task instance.
        :return: the URL, or ``""`` before the operator pushed the ids.
        """
        base = XCom.get_value(ti_key=ti_key, key=CONTROLLER_URL_XCOM_KEY)
        values = {key: XCom.get_value(ti_key=ti_key, key=key) for key in self.xcom_keys}
        return self.build_url(base, values)


class DroveApplicationLink(DroveLink):
    """"Drove app": the application's page, ``<controller>/applications/{appId}``."""

    name = "Drove app"
    path_template = "/applications/{drove_app_id}"
    xcom_keys = (APP_ID_XCOM_KEY,)


class DroveTaskLink(DroveLink):
    """"Drove task": the task's page, ``<controller>/tasks/{sourceAppName}/{taskId}``.

    The task operators push ``drove_source_app_name`` and ``drove_task_id``, e.g.
    ``DroveTaskLink.persist(context, controller_ui_base(hook), drove_source_app_name=app, drove_task_id=tid)``.
    """

    name = "Drove task"
    path_template = "/tasks/{drove_source_app_name}/{drove_task_id}"
    xcom_keys = (SOURCE_APP_NAME_XCOM_KEY, TASK_ID_XCOM_KEY)
