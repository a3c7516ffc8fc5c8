"""Command line: ``python -m airflow_provider_drove.testing --port 7000 --controllers 2 ...``.

Prints the URLs it serves and runs until interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from airflow_provider_drove.testing.auth import ROLES, parse_user
from airflow_provider_drove.testing.clock import MAX_SPEED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_drove.testing",
        description="Run a local emulator of the Drove controller HTTP API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7000, help="port of controller 0; others follow (default 7000)")
    parser.add_argument("--controllers", type=int, default=1, help="controllers sharing one cluster (default 1)")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD:ROLE",
        help=f"a Basic-auth user (repeatable); ROLE is one of {', '.join(ROLES)}; none = auth disabled",
    )
    parser.add_argument("--executors", type=int, default=2, help="executors (default 2)")
    parser.add_argument("--executor-cpus", type=int, default=8, help="CPU cores per executor (default 8)")
    parser.add_argument("--executor-memory", type=int, default=16384, metavar="MB", help="memory per executor (default 16384)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted.

    :return: the process exit code.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        users = [parse_user(text) for text in args.user]
    except ValueError as error:
        parser.error(str(error))
    if args.controllers < 1 or not 0 < args.speed <= MAX_SPEED or args.executors < 0:
        parser.error(f"--controllers must be >= 1, --speed in (0, {MAX_SPEED:g}] and --executors >= 0")
    if args.executor_cpus < 0 or args.executor_memory < 0 or not 0 <= args.port <= 65535 - args.controllers:
        parser.error("--executor-cpus and --executor-memory must not be negative; --port must leave room for every controller")

    from airflow_provider_drove.testing.emulator import DroveEmulator

    emulator = DroveEmulator(
        controllers=args.controllers,
        users=users or None,
        executors=args.executors,
        executor_cpus=args.executor_cpus,
        executor_memory_mb=args.executor_memory,
        speed=args.speed,
        host=args.host,
        port=args.port,
    )
    try:
        emulator.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}..: {error}", file=sys.stderr)
        return 1
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(f"Drove emulator: {args.controllers} controller(s), {args.executors} executor(s), speed {args.speed:g}x, "
          f"auth {'on' if users else 'off'}")  # fmt: skip
    for index, url in enumerate(emulator.urls):
        print(f"  controller {index}: {url}/apis/v1{'  (leader)' if index == 0 else ''}")
    print(f"  control API: {emulator.urls[0]}/_emulator/status   (Ctrl+C to stop)", flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
