"""Basic auth and roles of the controller (§4): 401 without valid credentials, 403 for a wrong role."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

#: config role names (``--user NAME:PASSWORD:ROLE``) Drove accepts for external users (§4.2)
ROLES = ("EXTERNAL_READ_ONLY", "EXTERNAL_READ_WRITE", "DROVE_EXTERNAL_MAINTENANCE", "EXTERNAL_ROOT")
ROOT = "EXTERNAL_ROOT"
#: endpoint groups of the authorization matrix (§4.3)
ANY = frozenset(ROLES)
READ_WRITE = frozenset({"EXTERNAL_READ_WRITE", ROOT})
MAINTENANCE = frozenset({"DROVE_EXTERNAL_MAINTENANCE", ROOT})
LOG_READERS = frozenset({"EXTERNAL_READ_ONLY", "EXTERNAL_READ_WRITE", ROOT})

UNAUTHORIZED_BODY = b"Credentials are required to access this resource."
WWW_AUTHENTICATE = 'Basic realm="realm"'


def parse_user(text: str) -> tuple[str, str, str]:
    """Parse ``NAME:PASSWORD:ROLE`` (the password may contain ``:``).

    :raises ValueError: for a malformed entry or an unknown role.
    """
    name, sep, rest = text.partition(":")
    password, sep2, role = rest.rpartition(":")
    if not (sep and sep2 and name):
        raise ValueError(f"user must be NAME:PASSWORD:ROLE, got {text!r}")
    return check_user((name, password, role))


def check_user(user: Sequence[str]) -> tuple[str, str, str]:
    """Validate a ``(name, password, role)`` triple.

    :raises ValueError: for a wrong shape or an unknown role.
    """
    if isinstance(user, str):
        return parse_user(user)
    if len(user) != 3 or not all(isinstance(part, str) for part in user):
        raise ValueError(f"a user is (name, password, role), got {user!r}")
    name, password, role = user
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} for user {name!r}: use one of {', '.join(ROLES)}")
    return name, password, role


class Users:
    """The configured users; none means auth is disabled and every caller is root (§4.1).

    :param users: ``(name, password, role)`` triples or ``NAME:PASSWORD:ROLE`` strings.
    """

    def __init__(self, users: Iterable[Sequence[str] | str] | None = None) -> None:
        self.users = {name: (password, role) for name, password, role in (check_user(u) for u in users or [])}
        self._cache: dict[str, str | None] = {}

    @property
    def enabled(self) -> bool:
        """Whether Basic auth is on."""
        return bool(self.users)

    def role_for(self, authorization: str | None) -> str | None:
        """The role of the caller, or None when not authenticated.

        :param authorization: the raw ``Authorization`` header value (any case of ``Basic``).
        """
        if not self.enabled:
            return ROOT
        if not authorization:
            return None
        if authorization in self._cache:
            return self._cache[authorization]
        role = self._resolve(authorization)
        if len(self._cache) < 500:  # Drove caches up to 500 credentials too
            self._cache[authorization] = role
        return role

    def _resolve(self, authorization: str) -> str | None:
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        name, sep, password = decoded.partition(":")
        entry = self.users.get(name)
        if not sep or entry is None or entry[0] != password:
            return None
        return entry[1]
