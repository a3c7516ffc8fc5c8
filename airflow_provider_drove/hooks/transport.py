"""The transport rules both Drove hooks follow, without I/O: retries, failover, leader memory, logs.

The sync hook (``requests``) and the async hook (``httpx``) each run the same small loop::

    for attempt in tenacity (Retrying / AsyncRetrying) built by Exchange.retry_policy():
        for controller in exchange.round_targets():         # cached leader first
            send the request                                  # the only I/O, sync or async
            on a transport error: exchange.on_send_failure(...)   -> fail over, or raise
            on an answer:        exchange.on_answer(...)          -> a result, fail over, or raise
        raise exchange.round_failed()                         # every controller failed over

and everything that decides *what happens next* lives here.

Failover and retry rule
-----------------------
* **Fail over** (try the next controller at once, in the same round) only when the request cannot
  have been acted upon: the connection was never made (refused, DNS failure, connect timeout,
  no free connection in the pool) or the controller answered 400 "This node is not the leader
  controller" (the leadership filter runs before any handler, §5). So failover never delivers a
  request twice to a leader.
* **Retry** (a new round after an exponential back-off with jitter, bounded by the connection's
  ``max_retries``/``retry_min_wait``/``retry_max_wait``) on HTTP 5xx and 429, on a garbled
  answer, on a round in which every controller failed over, and, for idempotent requests only
  (every GET, validations, ping, cancel, maintenance, task DELETE), on a read timeout or a
  connection dropped after the request went out.
* **Never resend** a non-idempotent request (application and task operations) after it may have
  reached the controller (read timeout, connection dropped mid-exchange): Drove could have
  accepted it, and a second SCALE/CREATE/KILL would be silently dropped or rejected in a
  confusing way. The caller gets :class:`DroveUnavailableError` saying so, and should read the
  app or task back before deciding anything.
* **Never retry** 400 rejections, lookup misses (200 FAILED), 401/403, or TLS certificate
  failures: the same request would get the same answer.

After the last round, the error is :class:`DroveUnavailableError` naming the number of requests
sent and the controllers tried (base URLs only: they never carry credentials).
"""

from __future__ import annotations

import enum
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from tenacity import RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from airflow_provider_drove.drove.responses import parse_response
from airflow_provider_drove.exceptions import (
    DroveApiError,
    DroveNotLeaderError,
    DroveServerError,
    DroveUnavailableError,
    DroveValidationError,
)
from airflow_provider_drove.hooks.connection import DroveConnectionSettings

T = TypeVar("T")

USER_AGENT = "airflow-provider-drove"


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` value)."""
    return (time.perf_counter() - started) * 1000.0


def _identity(data: Any) -> Any:
    return data


@dataclass(frozen=True)
class DroveRequest(Generic[T]):
    """One call to the controller API, fully checked, with how to read its answer.

    :param method: ``GET``, ``POST`` or ``DELETE``.
    :param path: the path below the controller base URL, e.g. ``/apis/v1/applications/X``
        (segments already quoted).
    :param params: query parameters as pairs (repeatable keys, e.g. ``state``).
    :param content: the JSON body, already serialised, or ``None``.
    :param idempotent: whether sending it twice is harmless (see the module docstring).
    :param envelope: ``False`` for the log-file endpoints (§6.6).
    :param convert: turns the answer's data into the method's result (a model, a bool ...).
    :param recover: turns an expected :class:`DroveApiError` into a result (cancel -> ``False``),
        or re-raises it.
    :param operation: a short description logged at INFO when Drove accepts it (ops only).
    """

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    idempotent: bool = True
    envelope: bool = True
    convert: Callable[[Any], T] = field(default=_identity, repr=False)
    recover: Callable[[DroveApiError], T] | None = field(default=None, repr=False)
    operation: str | None = None

    def url(self, base: str) -> str:
        """Return the full URL of this request on one controller.

        :param base: a controller base URL.
        :return: the URL with its query string.
        """
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{base}{self.path}{query}"

    def headers(self) -> dict[str, str]:
        """Return the per-request headers (the body type; auth is set on the client)."""
        return {"Content-Type": "application/json"} if self.content is not None else {}


def json_content(body: Any) -> bytes:
    """Serialise a JSON body compactly, the way it goes on the wire.

    :param body: JSON-able data.
    :return: UTF-8 bytes.
    """
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def client_headers(settings: DroveConnectionSettings) -> dict[str, str]:
    """Headers every request of a hook carries: accept JSON, who we are, and the auth header.

    :param settings: the connection settings.
    :return: the headers (they hold the secret: never log them).
    """
    return {"Accept": "application/json", "User-Agent": USER_AGENT, **settings.credentials.headers()}


class SendFailure(enum.Enum):
    """How a request failed to get an answer, which decides failover vs retry."""

    NOT_SENT = "not sent"  # no connection was made: nothing reached the controller
    MAYBE_SENT = "maybe sent"  # sent, then no (complete) answer: the controller may have acted
    TLS = "tls"  # the TLS handshake failed: a configuration problem, not a transient one


class LeaderCache:
    """Process-wide memory of the leader found per connection (conn id + controller list).

    Later hook instances in the same process (the next sensor poke, the trigger of the same
    operator) start with the controller that answered last time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leaders: dict[tuple[str, tuple[str, ...]], str] = {}

    def get(self, key: tuple[str, tuple[str, ...]]) -> str | None:
        """Return the remembered leader for a connection, if any."""
        with self._lock:
            return self._leaders.get(key)

    def remember(self, key: tuple[str, tuple[str, ...]], url: str) -> None:
        """Record the controller that just served a request as the leader."""
        with self._lock:
            self._leaders[key] = url

    def forget(self, key: tuple[str, tuple[str, ...]], url: str) -> None:
        """Drop ``url`` as leader (it refused a connection or said it is not the leader)."""
        with self._lock:
            if self._leaders.get(key) == url:
                del self._leaders[key]

    def clear(self) -> None:
        """Forget every leader (tests)."""
        with self._lock:
            self._leaders.clear()


LEADERS = LeaderCache()


def leader_first(settings: DroveConnectionSettings, leaders: LeaderCache = LEADERS) -> list[str]:
    """Return the controllers in the order to try them: the remembered leader first.

    :param settings: the connection settings.
    :param leaders: the leader cache.
    :return: the controller base URLs.
    """
    leader = leaders.get(settings.leader_key)
    ordered = list(settings.controllers)
    if leader in ordered:
        ordered.remove(leader)
        ordered.insert(0, leader)
    return ordered


class RetryableFailure(Exception):
    """A round ended with a failure that another round may fix (internal to the hooks)."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause
        super().__init__(str(cause))


class Exchange(Generic[T]):
    """The bookkeeping of one logical request across rounds, controllers and retries.

    :param settings: the connection settings.
    :param request: the request.
    :param log: where to write the DEBUG request lines, retry warnings and the INFO op line.
    :param leaders: the leader cache.
    """

    def __init__(
        self,
        settings: DroveConnectionSettings,
        request: DroveRequest[T],
        log: logging.Logger,
        leaders: LeaderCache = LEADERS,
    ) -> None:
        self.settings = settings
        self.request = request
        self.log = log
        self.leaders = leaders
        self.attempts = 0
        self.rounds = 0
        self.contacted: list[str] = []
        self._round_errors: list[str] = []

    # -- the loop's steps ---------------------------------------------------------------------

    def round_targets(self) -> list[str]:
        """Start a round and return the controllers to try in it, remembered leader first."""
        self.rounds += 1
        self._round_errors = []
        return leader_first(self.settings, self.leaders)

    def before_send(self, base: str) -> None:
        """Count a request about to go to ``base``."""
        self.attempts += 1
        if base not in self.contacted:
            self.contacted.append(base)

    def on_answer(
        self, base: str, status_code: int, body: str | bytes, content_type: str | None, elapsed_ms: float
    ) -> tuple[bool, T | None]:
        """Read an answer from ``base``.

        :return: ``(True, result)`` when the request is done, ``(False, None)`` to fail over to
            the next controller.
        :raises RetryableFailure: when a new round may help (5xx, 429, garbled answer).
        :raises DroveApiError: when no retry can help (rejection, miss, auth).
        """
        self.log.debug(
            "Drove %s %s on %s -> HTTP %s in %.1f ms",
            self.request.method,
            self.request.path,
            base,
            status_code,
            elapsed_ms,
        )
        try:
            data = parse_response(
                status_code, body, content_type=content_type, envelope=self.request.envelope
            )
        except DroveNotLeaderError:
            self.leaders.forget(self.settings.leader_key, base)
            self._round_errors.append(f"{base} is not the leader")
            return False, None
        except DroveServerError as exc:
            raise RetryableFailure(exc) from exc
        except DroveApiError as exc:
            if isinstance(exc, DroveValidationError) or exc.status_code == 200:
                # Validation and lookups run after the leadership filter: this is the leader.
                self.leaders.remember(self.settings.leader_key, base)
            if self.request.recover is not None:
                return True, self.request.recover(exc)
            raise
        self.leaders.remember(self.settings.leader_key, base)
        if self.request.operation:
            self.log.info("Drove accepted %s (controller %s)", self.request.operation, base)
        try:
            return True, self.request.convert(data)
        except DroveApiError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Models keep unknown fields; only a reshaped answer (a list for an object) lands here.
            raise DroveApiError(
                f"Drove's answer to {self.request.method} {self.request.path} has an unexpected shape: {exc}",
                status_code=status_code,
            ) from exc

    def on_response(self, base: str, response: Any, started: float) -> tuple[bool, T | None]:
        """:meth:`on_answer` for a ``requests`` or ``httpx`` response (they share these attributes).

        :param started: ``time.perf_counter()`` taken just before sending.
        """
        return self.on_answer(
            base, response.status_code, response.content, response.headers.get("Content-Type"), elapsed_ms(started)
        )

    def on_send_failure(self, base: str, failure: SendFailure, detail: str) -> None:
        """Handle a request to ``base`` that got no answer; return to fail over to the next one.

        :param base: the controller.
        :param failure: how it failed.
        :param detail: a short description (no secrets: the hooks build it from the error class
            and the URL).
        :raises RetryableFailure: for an idempotent request that may have been sent.
        :raises DroveUnavailableError: for a non-idempotent request that may have been sent, or a
            TLS failure.
        """
        self.log.debug("Drove %s %s on %s -> %s", self.request.method, self.request.path, base, detail)
        if failure is SendFailure.NOT_SENT:
            self.leaders.forget(self.settings.leader_key, base)
            self._round_errors.append(f"{base}: {detail}")
            return
        if failure is SendFailure.TLS:
            raise DroveUnavailableError(
                f"TLS with Drove controller {base} failed ({detail}); check the connection's verify and "
                "ca_bundle extras",
                attempts=self.attempts,
                controllers=self.contacted,
            )
        if self.request.idempotent:
            raise RetryableFailure(DroveUnavailableError(f"{base}: {detail}"))
        raise DroveUnavailableError(
            f"Drove {self.request.operation or self.request.path} was sent to {base} but no answer came "
            f"({detail}). It was not resent because Drove may have accepted it: read the application or "
            "task back before trying again",
            attempts=self.attempts,
            controllers=self.contacted,
        )

    def round_failed(self) -> RetryableFailure:
        """The error for a round in which every controller failed over (no leader answered)."""
        reasons = "; ".join(self._round_errors) or "no controller configured"
        return RetryableFailure(DroveUnavailableError(f"no Drove leader answered ({reasons})"))

    def unavailable(self, failure: RetryableFailure) -> DroveUnavailableError:
        """The final error once every retry is spent.

        :param failure: the last round's failure.
        :return: a :class:`DroveUnavailableError` naming attempts, rounds and controllers.
        """
        tried = ", ".join(self.contacted) or ", ".join(self.settings.controllers)
        return DroveUnavailableError(
            f"Drove {self.request.method} {self.request.path} failed after {self.attempts} attempt(s) in "
            f"{self.rounds} round(s) against {tried}: {failure.cause}",
            attempts=self.attempts,
            controllers=self.contacted or list(self.settings.controllers),
        )

    # -- tenacity -----------------------------------------------------------------------------

    def retry_policy(self) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying``/``AsyncRetrying`` running the rounds.

        Exponential back-off from ``retry_min_wait`` capped at ``retry_max_wait``, with up to
        ``retry_min_wait`` of random jitter so that many workers do not retry in step.
        """
        settings = self.settings
        return {
            "stop": stop_after_attempt(settings.max_attempts),
            "wait": wait_exponential(multiplier=settings.retry_min_wait, max=settings.retry_max_wait)
            + wait_random(0, settings.retry_min_wait),
            "retry": retry_if_exception_type(RetryableFailure),
            "reraise": True,
            "before_sleep": self._before_sleep,
        }

    def _before_sleep(self, state: RetryCallState) -> None:
        outcome = state.outcome
        cause = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        self.log.warning(
            "Drove %s %s: %s; retry %d of %d in %.2f s",
            self.request.method,
            self.request.path,
            getattr(cause, "cause", cause),
            state.attempt_number,
            self.settings.max_retries,
            wait,
        )


def ui_url(settings: DroveConnectionSettings, path: str, leaders: LeaderCache = LEADERS) -> str:
    """Build a controller UI link (§6.8) on the remembered leader, or the first controller.

    A follower redirects UI pages to the leader, so any controller URL works; the base URLs never
    hold credentials.

    :param settings: the connection settings.
    :param path: the UI path, e.g. ``applications/MY_APP-1``.
    :return: the absolute URL.
    """
    return f"{leader_first(settings, leaders)[0]}/{path.lstrip('/')}"


@dataclass(frozen=True)
class ControllerProbe:
    """What one controller said to a ping (``test_connection``, ``find_leader``).

    :param url: the controller base URL.
    :param role: ``leader``, ``follower``, ``unauthorized``, ``forbidden`` or ``unreachable``/``error``.
    :param detail: a short description.
    """

    url: str
    role: str
    detail: str = ""


PING_PATH = "/apis/v1/ping"


def probe_from_answer(base: str, status_code: int, body: str | bytes, content_type: str | None) -> ControllerProbe:
    """Classify a controller's answer to ``GET /apis/v1/ping`` (§5: 200 only on the leader).

    :return: the probe result.
    """
    from airflow_provider_drove.exceptions import DroveAuthenticationError, DroveForbiddenError

    try:
        parse_response(status_code, body, content_type=content_type)
    except DroveNotLeaderError:
        return ControllerProbe(base, "follower", "not the leader")
    except DroveAuthenticationError:
        return ControllerProbe(base, "unauthorized", "HTTP 401: credentials rejected")
    except DroveForbiddenError:
        return ControllerProbe(base, "forbidden", "HTTP 403: role not allowed")
    except DroveApiError as exc:
        return ControllerProbe(base, "error", str(exc))
    return ControllerProbe(base, "leader", "pong")


def probe_from_response(base: str, response: Any, started: float, log: logging.Logger) -> ControllerProbe:
    """Log and classify a ``requests``/``httpx`` response to ``GET /apis/v1/ping``."""
    log.debug("Drove GET %s on %s -> HTTP %s in %.1f ms", PING_PATH, base, response.status_code, elapsed_ms(started))
    return probe_from_answer(base, response.status_code, response.content, response.headers.get("Content-Type"))


def remember_leader(settings: DroveConnectionSettings, probes: Sequence[ControllerProbe], leaders: LeaderCache = LEADERS) -> str | None:
    """Remember the first controller that answered the ping as leader.

    :return: its base URL, or ``None`` when none did.
    """
    leader = next((p.url for p in probes if p.role == "leader"), None)
    if leader is not None:
        leaders.remember(settings.leader_key, leader)
    return leader


def no_leader_error(probes: Sequence[ControllerProbe]) -> DroveUnavailableError:
    """The error of ``find_leader`` when no controller answered as leader."""
    return DroveUnavailableError(summarise_probes(probes)[1], attempts=len(probes), controllers=[p.url for p in probes])


def probe_from_failure(base: str, failure: SendFailure, detail: str) -> ControllerProbe:
    """Classify a ping that got no answer."""
    return ControllerProbe(base, "unreachable" if failure is not SendFailure.TLS else "tls-error", detail)


def summarise_probes(probes: Sequence[ControllerProbe]) -> tuple[bool, str]:
    """Turn the pings of every controller into Airflow's ``test_connection`` answer.

    :param probes: one probe per configured controller.
    :return: ``(True, message naming the leader)`` when a leader answered, else ``(False, why)``.
    """
    # No square brackets: Airflow's CLI prints this through rich, which would take them for markup.
    each = "; ".join(
        f"{p.url} {p.role}" + (f" ({p.detail})" if p.detail and p.role != "leader" else "") for p in probes
    )
    leaders = [p.url for p in probes if p.role == "leader"]
    if len(leaders) == 1:
        return True, f"Connected to Drove; the leader is {leaders[0]}. Controllers: {each}"
    if leaders:
        # Usually one controller listed under two names; a real split brain is Drove's to report.
        return True, f"Connected to Drove; several URLs answer as leader ({', '.join(leaders)}). Controllers: {each}"
    if any(p.role in ("unauthorized", "forbidden") for p in probes):
        return False, f"Drove refused the credentials. Controllers: {each}"
    return False, f"No Drove leader answered. Controllers: {each}"
