"""Who paid for a model call: per-caller inference usage, next to the registry's global counters.

The registry's counters (:meth:`~retrievo.inference.registry.InferenceRegistry.cache_stats`) add up
everything an engine ever did. A profiled search needs the cost of *one operator's* calls, while other
searches and other threads call the same models. So a caller opens a :class:`UsageMeter` with
:func:`metering`; every embed and rerank call made inside it, in the same thread, adds its own
per-call numbers to that meter (a context variable: per thread, per task, and the innermost meter
wins, so a parent operator never counts what its children already counted). With no meter open,
recording is one context-variable read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields

#: The meter calls are charged to (``None``: nobody is listening).
_CURRENT: ContextVar[UsageMeter | None] = ContextVar("retrievo_inference_usage", default=None)


@dataclass
class TaskUsage:
    """What the calls of one task type (``rerank`` or ``text_embedding``) cost one caller."""

    requests: int = 0  # registry calls (one per search step that needed the model)
    model_calls: int = 0  # model invocations (batches)
    inputs: int = 0  # texts (embedding) or (query, passage) pairs (rerank) asked for
    scored: int = 0  # inputs the model actually computed (the rest came from cache or dedup)
    tokens: int = 0  # tokens the model processed (rerank; 0 where the model cannot tell)
    cache_hits: int = 0  # distinct inputs served from the cache
    cache_misses: int = 0  # distinct inputs sent to the model
    deduplicated: int = 0  # repeated inputs within a request, computed once
    model_nanos: int = 0  # wall time inside the model
    batched: int = 0  # inputs served from a multi-search's shared batch (scored there, once)

    def add(self, other: TaskUsage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class UsageMeter:
    """Usage by task type and the endpoints involved."""

    tasks: dict[str, TaskUsage] = field(default_factory=dict)
    endpoints: list[str] = field(default_factory=list)

    def charge(self, task: str, inference_id: str, usage: TaskUsage) -> None:
        self.tasks.setdefault(task, TaskUsage()).add(usage)
        if inference_id not in self.endpoints:
            self.endpoints.append(inference_id)

    def merge(self, other: UsageMeter) -> None:
        for task, usage in other.tasks.items():
            self.tasks.setdefault(task, TaskUsage()).add(usage)
        for inference_id in other.endpoints:
            if inference_id not in self.endpoints:
                self.endpoints.append(inference_id)


def record_usage(task: str, inference_id: str, usage: TaskUsage) -> None:
    """Charge ``usage`` to the innermost open meter of this thread (nothing when none is open)."""
    meter = _CURRENT.get()
    if meter is not None:
        meter.charge(task, inference_id, usage)


def metering_active() -> bool:
    """Whether a meter listens (callers skip computing per-call numbers nobody reads)."""
    return _CURRENT.get() is not None


@contextmanager
def metering(meter: UsageMeter) -> Iterator[UsageMeter]:
    """Charge the inference calls made inside the block (in this thread) to ``meter``."""
    token = _CURRENT.set(meter)
    try:
        yield meter
    finally:
        _CURRENT.reset(token)
