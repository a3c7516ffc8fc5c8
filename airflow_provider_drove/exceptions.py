"""Exceptions raised by the Drove provider.

Every error the provider raises is a :class:`DroveException`, itself an ``AirflowException``, so
a DAG author can catch one type. The subclasses follow the status matrix of the Drove controller
(``drove-api.md`` §3.1): what the controller said decides the class, and the class decides
whether a retry can help.
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow.providers.common.compat.sdk import AirflowException


class DroveException(AirflowException):
    """Base class of every error raised by the Drove provider."""


class DroveInputError(DroveException, ValueError):
    """Bad input caught before any request is sent.

    :param field: the parameter or payload field at fault, e.g. ``required_instances``.
    :param problem: what is wrong with it and how to fix it.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class DroveApiError(DroveException):
    """The controller answered, and the answer was a failure.

    :param message: Drove's own ``message`` (or a description of the non-envelope answer).
    :param status_code: the HTTP status of the answer.
    :param errors: Drove's ``data.validationErrors``, when it sent any.
    """

    def __init__(self, message: str, *, status_code: int | None = None, errors: Sequence[str] = ()) -> None:
        self.message = message
        self.status_code = status_code
        self.errors = list(errors)
        detail = f"{message}: {'; '.join(self.errors)}" if self.errors else message
        super().__init__(detail)


class DroveNotFoundError(DroveApiError):
    """A lookup missed: Drove answered HTTP 200 with ``status: FAILED`` (unknown app, task, ...)."""


class DroveValidationError(DroveApiError):
    """Drove rejected the request (HTTP 400): an operation not allowed now, a bad spec, maintenance.

    Retrying the same request will not help; ``errors`` carries Drove's reasons.
    """


class DroveNotLeaderError(DroveApiError):
    """The controller asked is not the leader (HTTP 400 "This node is not the leader controller")."""


class DroveAuthError(DroveApiError):
    """Authentication or authorization failed. Never retried: the connection must be fixed."""


class DroveAuthenticationError(DroveAuthError):
    """HTTP 401: credentials missing or wrong."""


class DroveForbiddenError(DroveAuthError):
    """HTTP 403: the user's role may not call this endpoint (e.g. a read-only user writing)."""


class DroveServerError(DroveApiError):
    """A transient failure: HTTP 5xx or 429 from the controller. Retried by the hooks."""


class DroveUnavailableError(DroveException):
    """No controller could serve the request after every retry and failover.

    :param message: what happened, naming the attempts made and the controllers tried.
    :param attempts: how many requests were sent in all.
    :param controllers: the controller URLs tried.
    """

    def __init__(self, message: str, *, attempts: int = 0, controllers: Sequence[str] = ()) -> None:
        self.attempts = attempts
        self.controllers = list(controllers)
        super().__init__(message)


class DroveOperationFailedError(DroveException):
    """A wait saw the outcome can no longer come (e.g. instances keep failing to start)."""


class DroveTimeoutError(DroveException):
    """A wait ran out of time before the outcome came."""
