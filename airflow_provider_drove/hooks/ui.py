"""How the Drove connection form looks in the Airflow UI, declared once.

Airflow 3.2+ reads :data:`CONN_FIELDS` and :data:`UI_FIELD_BEHAVIOUR` from the provider info
(``get_provider_info``); older Airflow versions call the hook's ``get_connection_form_widgets`` /
``get_ui_field_behaviour``, which :func:`legacy_widgets` and :func:`legacy_field_behaviour` derive
from the same declarations. No Airflow import here: the provider info must stay cheap to load.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_drove.hooks.defaults import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_MAX_WAIT,
    DEFAULT_RETRY_MIN_WAIT,
    DEFAULT_TIMEOUT,
    MAX_RETRIES_LIMIT,
)

#: Extra fields of the connection form (kept in ``Connection.extra``), in Airflow 3.2+'s format.
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "auth_header": {
        "label": "Authorization header",
        "description": "Raw Authorization header value sent verbatim (e.g. 'Bearer eyJ...' for a gateway in "
        "front of Drove). Use instead of login/password. Kept secret.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "verify": {
        "label": "Verify TLS certificates",
        "description": "Check the controllers' HTTPS certificates (recommended).",
        "schema": {"type": "boolean", "default": True},
    },
    "ca_bundle": {
        "label": "CA bundle path",
        "description": "Path of a PEM CA bundle to verify the controllers' certificates against.",
        "schema": {"type": ["string", "null"]},
    },
    "timeout": {
        "label": "Request timeout (seconds)",
        "description": "How long to wait for a controller's answer.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_TIMEOUT, "exclusiveMinimum": 0},
    },
    "connect_timeout": {
        "label": "Connect timeout (seconds)",
        "description": "How long to wait for a connection before failing over to the next controller.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_CONNECT_TIMEOUT, "exclusiveMinimum": 0},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries of a request after 5xx/429 answers, timeouts or no reachable leader.",
        "schema": {
            "type": ["integer", "null"],
            "default": DEFAULT_MAX_RETRIES,
            "minimum": 0,
            "maximum": MAX_RETRIES_LIMIT,
        },
    },
    "retry_min_wait": {
        "label": "First retry wait (seconds)",
        "description": "Back-off before the first retry; it doubles on each retry, with jitter.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_RETRY_MIN_WAIT, "minimum": 0},
    },
    "retry_max_wait": {
        "label": "Max retry wait (seconds)",
        "description": "Cap of the back-off between retries.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_RETRY_MAX_WAIT, "minimum": 0},
    },
}

#: Standard fields of the form, in Airflow 3.2+'s ``ui-field-behaviour`` format.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema"],
    "relabeling": {"host": "Controller URL(s)", "login": "Username"},
    "placeholders": {
        "host": "http://drove-ctl-1:10000,http://drove-ctl-2:10000",
        "port": "10000 (for hosts written without a port)",
        "login": "admin",
        "password": "Basic auth password",
        "auth_header": "Bearer eyJ... (instead of login/password)",
        "ca_bundle": "/etc/ssl/certs/drove-ca.pem",
        "timeout": f"{DEFAULT_TIMEOUT:g}",
        "max_retries": str(DEFAULT_MAX_RETRIES),
    },
}


def legacy_field_behaviour() -> dict[str, Any]:
    """``get_ui_field_behaviour`` for Airflow before 3.2 (snake_case keys).

    :return: hidden fields, relabeling and placeholders.
    """
    return {
        "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
        "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
        "placeholders": dict(UI_FIELD_BEHAVIOUR["placeholders"]),
    }


def legacy_widgets() -> dict[str, Any]:
    """``get_connection_form_widgets`` for Airflow before 3.2 (wtforms fields).

    :return: field name to wtforms field.
    """
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, PasswordField, StringField

    widgets: dict[str, Any] = {}
    for name, spec in CONN_FIELDS.items():
        schema = spec["schema"]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        label = lazy_gettext(spec["label"])
        if schema.get("format") == "password":
            field = PasswordField(label, widget=BS3PasswordFieldWidget(), description=spec["description"])
        elif "boolean" in types:
            field = BooleanField(label, default=schema.get("default", False), description=spec["description"])
        elif "integer" in types:
            field = IntegerField(label, widget=BS3TextFieldWidget(), description=spec["description"])
        else:
            # Numbers go through a text field: wtforms has no float field Airflow accepts.
            field = StringField(label, widget=BS3TextFieldWidget(), description=spec["description"])
        widgets[name] = field
    return widgets
