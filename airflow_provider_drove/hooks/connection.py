"""The Drove connection, read once into a frozen settings object (pure: no I/O, no Airflow lookup).

Connection fields (conn type ``drove``):

* ``host``: one controller URL or several, comma-separated, for leader failover
  (``http://ctl1:10000,http://ctl2:10000``). The scheme is ``http`` or ``https``; without one,
  ``http`` is used. A path prefix is kept (for a gateway that serves Drove under a path); a
  trailing ``/apis/v1`` is dropped.
* ``port``: used for every host written without a port.
* ``login`` / ``password``: HTTP Basic credentials.
* extras:

  ============================  =========  ==================================================
  key                           default    meaning
  ============================  =========  ==================================================
  ``auth_header``               (none)     raw ``Authorization`` value sent verbatim (a gateway
                                           token); a secret; exclusive with login/password
  ``verify``                    ``true``   verify TLS certificates
  ``ca_bundle``                 (none)     path of a CA bundle to verify against
  ``timeout``                   ``30``     seconds to wait for an answer (read timeout)
  ``connect_timeout``           ``10``     seconds to wait for a TCP/TLS connection (at most
                                           ``timeout``); small, so a dead controller fails over
  ``max_retries``               ``3``      retries after the first round of attempts
  ``retry_min_wait``            ``0.5``    first back-off between retries (seconds)
  ``retry_max_wait``            ``10``     cap of the exponential back-off (seconds)
  ============================  =========  ==================================================

  Extras may also carry the legacy UI prefix (``extra__drove__timeout``). Values given as strings
  (URI query, old UI) are converted.

Every problem raises :class:`~airflow_provider_drove.exceptions.DroveInputError` naming the field,
before any request is sent. Secrets (the password and the raw header) live only in
:class:`DroveCredentials`, whose ``repr`` hides them.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_drove.exceptions import DroveInputError
from airflow_provider_drove.hooks.defaults import (
    CONN_TYPE,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_MAX_WAIT,
    DEFAULT_RETRY_MIN_WAIT,
    DEFAULT_SCHEME,
    DEFAULT_TIMEOUT,
    MAX_RETRIES_LIMIT,
)

_SCHEMES = ("http", "https")
_KNOWN_EXTRAS = frozenset(
    {
        "auth_header",
        "verify",
        "ca_bundle",
        "timeout",
        "connect_timeout",
        "max_retries",
        "retry_min_wait",
        "retry_max_wait",
    }
)
_LEGACY_PREFIX = f"extra__{CONN_TYPE}__"
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


@dataclass(frozen=True)
class DroveCredentials:
    """What goes into the ``Authorization`` header; never printed.

    :param authorization: the full header value (``Basic ...`` or the raw extra), or ``None``.
    :param secrets: the values to register with Airflow's secrets masker.
    """

    authorization: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    kind: str = "none"  # "basic", "header" or "none": safe to show

    def headers(self) -> dict[str, str]:
        """Return the auth header to send, if any.

        :return: ``{"Authorization": ...}`` or an empty dict.
        """
        return {"Authorization": self.authorization} if self.authorization else {}


@dataclass(frozen=True)
class DroveConnectionSettings:
    """A Drove connection, checked and normalised.

    :param conn_id: the Airflow connection id (also keys the leader cache).
    :param controllers: controller base URLs (``scheme://host:port[/prefix]``), no credentials.
    :param credentials: the auth header material (hidden from ``repr``).
    :param verify: ``requests``/``httpx`` ``verify`` value: a bool, or the CA bundle path.
    :param timeout: read timeout in seconds.
    :param connect_timeout: connect timeout in seconds.
    :param max_retries: retries after the first round of attempts.
    :param retry_min_wait: first back-off in seconds.
    :param retry_max_wait: back-off cap in seconds.
    """

    conn_id: str
    controllers: tuple[str, ...]
    credentials: DroveCredentials = DroveCredentials()
    verify: bool | str = True
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_min_wait: float = DEFAULT_RETRY_MIN_WAIT
    retry_max_wait: float = DEFAULT_RETRY_MAX_WAIT
    unknown_extras: tuple[str, ...] = ()

    @property
    def leader_key(self) -> tuple[str, tuple[str, ...]]:
        """Key of this connection in the process-wide leader cache."""
        return (self.conn_id, self.controllers)

    @property
    def max_attempts(self) -> int:
        """Rounds of attempts in all: the first plus the retries."""
        return self.max_retries + 1


def parse_connection(
    conn_id: str,
    *,
    host: str | None,
    port: int | str | None = None,
    login: str | None = None,
    password: str | None = None,
    extras: Mapping[str, Any] | None = None,
) -> DroveConnectionSettings:
    """Check an Airflow connection's fields and build the settings the hooks use.

    :param conn_id: the connection id.
    :param host: one controller URL, or several comma-separated.
    :param port: default port for hosts written without one.
    :param login: Basic auth user.
    :param password: Basic auth password.
    :param extras: the connection's extra dict (see the module docstring).
    :return: the settings.
    :raises DroveInputError: naming the field at fault, before anything is sent.
    """
    values = _normalise_extras(extras or {})
    default_port = _parse_port(port)
    controllers = parse_hosts(host, default_port=default_port)
    timeout = _number(values, "timeout", DEFAULT_TIMEOUT, positive=True)
    connect_timeout = min(_number(values, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, positive=True), timeout)
    retry_min_wait = _number(values, "retry_min_wait", DEFAULT_RETRY_MIN_WAIT)
    retry_max_wait = _number(values, "retry_max_wait", max(DEFAULT_RETRY_MAX_WAIT, retry_min_wait))
    if retry_max_wait < retry_min_wait:
        raise DroveInputError(
            "retry_max_wait", f"{retry_max_wait:g}s is below retry_min_wait {retry_min_wait:g}s; raise it"
        )
    return DroveConnectionSettings(
        conn_id=conn_id,
        controllers=controllers,
        credentials=_credentials(login, password, values.get("auth_header")),
        verify=_verify(values),
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_retries=_max_retries(values),
        retry_min_wait=retry_min_wait,
        retry_max_wait=retry_max_wait,
        unknown_extras=tuple(sorted(set(values) - _KNOWN_EXTRAS)),
    )


def settings_from_airflow(conn: Any, extras: Mapping[str, Any] | None = None) -> DroveConnectionSettings:
    """Build the settings from an Airflow ``Connection`` (attribute access only, no lookup).

    :param conn: the Airflow connection.
    :param extras: its extra dict when already read (the async hook reads it asynchronously);
        ``None`` reads ``conn.extra_dejson``.
    :return: the settings.
    :raises DroveInputError: see :func:`parse_connection`.
    """
    return parse_connection(
        conn.conn_id,
        host=conn.host,
        port=conn.port,
        login=conn.login,
        password=conn.password,
        extras=conn.extra_dejson if extras is None else extras,
    )


def parse_hosts(host: str | None, *, default_port: int | None = None) -> tuple[str, ...]:
    """Split and normalise the connection's host field into controller base URLs.

    :param host: ``"http://a:1,https://b:2"``, ``"a:1"``, ``"a"`` ...
    :param default_port: port for hosts written without one.
    :return: the base URLs, in the given order, duplicates dropped.
    :raises DroveInputError: for an empty list, an empty item, an unknown scheme, a bad port,
        credentials, a query or a fragment in a URL.
    """
    if host is None or not str(host).strip():
        raise DroveInputError(
            "host", "no Drove controller given; set one URL (http://ctl:10000) or several, comma-separated"
        )
    urls: list[str] = []
    for position, item in enumerate(str(host).split(","), start=1):
        url = _parse_one_host(item.strip(), position, default_port)
        if url not in urls:
            urls.append(url)
    return tuple(urls)


def _parse_one_host(item: str, position: int, default_port: int | None) -> str:
    where = f"controller #{position}"
    if not item:
        raise DroveInputError(
            "host", f"{where} is empty; separate controller URLs with single commas and no trailing comma"
        )
    if "://" not in item:
        item = f"{DEFAULT_SCHEME}://{item}"
    parts = urlsplit(item)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise DroveInputError("host", f"{where} has scheme {parts.scheme!r}; Drove controllers speak http or https")
    if parts.username is not None or parts.password is not None:
        # The URL is not echoed: it holds a secret.
        raise DroveInputError(
            "host", f"{where} carries credentials in the URL; put them in the connection's login and password"
        )
    if parts.query or parts.fragment:
        raise DroveInputError("host", f"{where} has a query or fragment; give only scheme://host:port[/prefix]")
    hostname = parts.hostname
    if not hostname or any(c.isspace() for c in hostname):
        raise DroveInputError("host", f"{where} ({item!r}) has no valid host name")
    try:
        port = parts.port
    except ValueError:
        raise DroveInputError("host", f"{where} ({item!r}) has an invalid port; use 1-65535") from None
    if port is None:
        port = default_port
    if port == 0:
        raise DroveInputError("host", f"{where} ({item!r}) has port 0; use 1-65535")
    path = parts.path.rstrip("/")
    for suffix in ("/apis/v1", "/apis"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, path, "", ""))


def _parse_port(port: int | str | None) -> int | None:
    if port in (None, ""):
        return None
    try:
        value = int(port)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DroveInputError("port", f"{port!r} is not a number; use 1-65535") from None
    if not 1 <= value <= 65535:
        raise DroveInputError("port", f"{value} is out of range; use 1-65535")
    return value


def _credentials(login: str | None, password: str | None, auth_header: Any) -> DroveCredentials:
    header = str(auth_header).strip() if auth_header not in (None, "") else ""
    if header and (login or password):
        raise DroveInputError(
            "auth_header", "set either login/password (Basic auth) or the auth_header extra, not both"
        )
    if header:
        return DroveCredentials(authorization=header, secrets=(header,), kind="header")
    if password and not login:
        raise DroveInputError("login", "a password is set without a login; set the Drove user name")
    if login:
        token = base64.b64encode(f"{login}:{password or ''}".encode()).decode("ascii")
        # The base64 token is as good as the password, so it is masked too.
        secrets = tuple(s for s in (password, token) if s)
        return DroveCredentials(authorization=f"Basic {token}", secrets=secrets, kind="basic")
    return DroveCredentials()


def _verify(values: Mapping[str, Any]) -> bool | str:
    verify = _boolean(values, "verify", True)
    bundle = values.get("ca_bundle")
    if bundle in (None, ""):
        return verify
    bundle = os.path.expanduser(str(bundle))
    if not verify:
        raise DroveInputError("ca_bundle", "is set while verify is false; drop ca_bundle or set verify true")
    if not os.path.isfile(bundle):
        raise DroveInputError("ca_bundle", f"{bundle!r} is not a readable file; give the path of a PEM bundle")
    return bundle


def _max_retries(values: Mapping[str, Any]) -> int:
    raw = values.get("max_retries")
    if raw in (None, ""):
        return DEFAULT_MAX_RETRIES
    try:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        value = raw if isinstance(raw, int) else int(str(raw).strip())
    except ValueError:
        raise DroveInputError("max_retries", f"{raw!r} is not a whole number; use 0-{MAX_RETRIES_LIMIT}") from None
    if isinstance(raw, bool) or not 0 <= value <= MAX_RETRIES_LIMIT:
        raise DroveInputError("max_retries", f"{raw!r} is out of range; use 0-{MAX_RETRIES_LIMIT}")
    return value


def _number(values: Mapping[str, Any], key: str, default: float, *, positive: bool = False) -> float:
    raw = values.get(key)
    if raw in (None, ""):
        return default
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(raw)
    except (TypeError, ValueError):
        raise DroveInputError(key, f"{raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise DroveInputError(key, f"{raw!r} is invalid; give a number of seconds {bound}")
    return value


def _boolean(values: Mapping[str, Any], key: str, default: bool) -> bool:
    raw = values.get(key)
    if raw in (None, ""):
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DroveInputError(key, f"{raw!r} is not a boolean; use true or false")


def _normalise_extras(extras: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the legacy ``extra__drove__`` prefix; a plain key wins over a prefixed one."""
    values: dict[str, Any] = {}
    for key, value in extras.items():
        if key.startswith(_LEGACY_PREFIX):
            values.setdefault(key[len(_LEGACY_PREFIX) :], value)
    for key, value in extras.items():
        if not key.startswith(_LEGACY_PREFIX):
            values[key] = value
    return values
