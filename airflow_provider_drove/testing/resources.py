"""Simulated executors: CPU cores and memory, placement of containers, Drove's capacity checks."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def executor_id(hostname: str, port: int) -> str:
    """Drove's executor ID: Java's ``UUID.nameUUIDFromBytes("host:port")`` (MD5, version 3, §11)."""
    return str(uuid.UUID(bytes=hashlib.md5(f"{hostname}:{port}".encode()).digest(), version=3))


@dataclass
class Allocation:
    """Resources held by one container.

    :param executor: where it runs.
    :param cores: the core numbers it holds (NUMA node 0).
    :param memory_mb: the memory it holds.
    """

    executor: Executor
    cores: list[int]
    memory_mb: int

    def wire(self) -> list[dict[str, Any]]:
        """The ``resources`` list of InstanceInfo/TaskInfo (§6.1): keys are NUMA node IDs."""
        return [
            {"type": "CPU", "cores": {"0": list(self.cores)}},
            {"type": "MEMORY", "memoryInMB": {"0": self.memory_mb}},
        ]


@dataclass
class Executor:
    """One simulated executor host with a single NUMA node.

    :param index: position in the cluster.
    :param hostname: its host name (also its first tag).
    :param port: its executor port.
    :param cores: number of CPU cores.
    :param memory_mb: memory in MB.
    """

    index: int
    hostname: str
    port: int
    cores: int
    memory_mb: int
    tags: set[str] = field(default_factory=set)
    used_cores: set[int] = field(default_factory=set)
    used_memory: int = 0
    executor_id: str = ""

    def __post_init__(self) -> None:
        self.executor_id = executor_id(self.hostname, self.port)
        self.tags.add(self.hostname)

    @property
    def free_cores(self) -> list[int]:
        """Core numbers not held by any container."""
        return [core for core in range(self.cores) if core not in self.used_cores]

    @property
    def free_memory(self) -> int:
        """Memory (MB) not held by any container."""
        return self.memory_mb - self.used_memory

    def fits(self, cpus: int, memory_mb: int) -> bool:
        """Whether a container of this size fits now."""
        return len(self.free_cores) >= cpus and self.free_memory >= memory_mb

    def allocate(self, cpus: int, memory_mb: int) -> Allocation:
        """Hold resources for a container (the caller checked :meth:`fits`)."""
        cores = self.free_cores[:cpus]
        self.used_cores.update(cores)
        self.used_memory += memory_mb
        return Allocation(self, cores, memory_mb)

    def release(self, allocation: Allocation) -> None:
        """Give a container's resources back."""
        self.used_cores.difference_update(allocation.cores)
        self.used_memory = max(0, self.used_memory - allocation.memory_mb)

    def summary(self) -> dict[str, Any]:
        """ExecutorSummary (§6.4)."""
        return {
            "executorId": self.executor_id,
            "hostname": self.hostname,
            "port": self.port,
            "transportType": "HTTP",
            "freeCores": len(self.free_cores),
            "usedCores": len(self.used_cores),
            "freeMemory": self.free_memory,
            "usedMemory": self.used_memory,
            "tags": sorted(self.tags),
            "state": "ACTIVE",
        }


def requirements(spec: Mapping[str, Any]) -> tuple[int, int]:
    """``(cpus, memory_mb)`` per container from a validated spec's ``resources`` list."""
    cpus = memory = 0
    for item in spec.get("resources") or []:
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "CPU":
            cpus = _as_count(item.get("count"))
        elif item.get("type") == "MEMORY":
            memory = _as_count(item.get("sizeInMB"))
    return cpus, memory


def _as_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return max(0, int(value))


def capacity_errors(executors: Iterable[Executor], cpus: int, memory_mb: int, count: int) -> list[str]:
    """Drove's resource checks for ``count`` new containers (§3.2 "Resource checks").

    :return: the validation messages, empty when the cluster has room now.
    """
    executors = list(executors)
    if count <= 0:
        return []
    if not executors:
        return ["No executors on cluster"]
    max_cores = max(executor.cores for executor in executors)
    if cpus > max_cores:
        return [
            "Required cores exceeds the maximum core available on a single NUMA node in the cluster. "
            f"Required: {cpus} Max: {max_cores}"
        ]
    errors = []
    free_cores = sum(len(executor.free_cores) for executor in executors)
    if cpus * count > free_cores:
        errors.append(f"Cluster does not have enough CPU. Required: {cpus * count} Available: {free_cores}")
    free_memory = sum(executor.free_memory for executor in executors)
    if memory_mb * count > free_memory:
        errors.append(f"Cluster does not have enough Memory. Required: {memory_mb * count} Available: {free_memory}")
    return errors


def _policy_allows(policy: Any, executor: Executor, same_app_on_executor: int) -> bool:
    """Whether a placement policy (§10.1) lets one more container of the app land on ``executor``."""
    if not isinstance(policy, Mapping):
        return True
    kind = policy.get("type")
    if kind == "ONE_PER_HOST":
        return same_app_on_executor == 0
    if kind == "MAX_N_PER_HOST":
        limit = policy.get("max")
        return same_app_on_executor < (limit if isinstance(limit, int) and not isinstance(limit, bool) else 1)
    if kind == "MATCH_TAG":
        return policy.get("tag") in executor.tags
    if kind == "NO_TAG":
        return executor.tags == {executor.hostname}
    if kind == "COMPOSITE":
        parts = [_policy_allows(p, executor, same_app_on_executor) for p in policy.get("policies") or []]
        if not parts:
            return True
        return any(parts) if str(policy.get("combiner", "AND")).upper() == "OR" else all(parts)
    return True  # ANY, RULE_BASED (rules are not evaluated by the emulator)


def place(
    executors: Iterable[Executor],
    cpus: int,
    memory_mb: int,
    policy: Any,
    same_app_counts: Mapping[str, int],
) -> Allocation | None:
    """Pick an executor for one container and hold its resources.

    The executor with the most free cores wins (ties: the lowest index), which spreads load.

    :param same_app_counts: executor ID -> active containers of the same app there.
    :return: the allocation, or None when nothing fits now.
    """
    candidates = [
        executor
        for executor in executors
        if executor.fits(cpus, memory_mb)
        and _policy_allows(policy, executor, same_app_counts.get(executor.executor_id, 0))
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda executor: (len(executor.free_cores), executor.free_memory, -executor.index))
    return best.allocate(cpus, memory_mb)
