"""What simulated containers "print": log files served by the §6.6 log endpoints."""

from __future__ import annotations

import datetime


class LogFiles:
    """The log files of one container: ``output.log`` (stdout) and ``error.log`` (stderr)."""

    FILES = ("output.log", "error.log")

    def __init__(self) -> None:
        self._files: dict[str, bytearray] = {name: bytearray() for name in self.FILES}

    def names(self) -> list[str]:
        """The file names, as ``/list`` returns them."""
        return list(self.FILES)

    def write(self, when: float, line: str, *, stderr: bool = False) -> None:
        """Append a timestamped line.

        :param when: simulated epoch seconds.
        :param line: the text (one line).
        :param stderr: write to ``error.log`` instead of ``output.log``.
        """
        stamp = datetime.datetime.fromtimestamp(when, tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        level = "ERROR" if stderr else "INFO"
        self._files["error.log" if stderr else "output.log"] += f"{stamp} {level} {line}\n".encode()

    def content(self, name: str) -> bytes | None:
        """A file's bytes, or None when there is no such file."""
        data = self._files.get(name)
        return None if data is None else bytes(data)

    def read(self, name: str, offset: int, length: int) -> dict[str, object] | None:
        """A chunk the way the executor's read API returns it (§6.6).

        ``offset=-1`` returns no data and the current end offset; otherwise up to ``length`` bytes
        from ``offset`` (the returned ``offset`` is where the chunk starts).

        :return: ``{"data", "offset"}``, or None when there is no such file.
        """
        data = self._files.get(name)
        if data is None:
            return None
        if offset < 0:
            return {"data": "", "offset": len(data)}
        start = min(offset, len(data))
        chunk = bytes(data[start : start + max(0, length)])
        return {"data": chunk.decode("utf-8", errors="replace"), "offset": start}
