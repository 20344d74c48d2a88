"""LazyModel: the load-once slot every model-loading service shares."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from retrievo.inference.services.lazy_model import LazyModel


def test_racing_threads_load_once_and_share_the_value() -> None:
    slot: LazyModel[object] = LazyModel()
    calls: list[int] = []
    start = threading.Barrier(8)

    def load() -> object:
        calls.append(1)
        time.sleep(0.05)  # long enough for every other thread to arrive while the first loads
        return object()

    def get(_: int) -> object:
        start.wait()
        return slot.get(load)

    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(get, range(8)))
    assert len(calls) == 1 and all(v is values[0] for v in values)
    assert slot.value is values[0]


def test_a_failed_load_leaves_the_slot_empty_for_the_next_caller() -> None:
    slot: LazyModel[str] = LazyModel()

    def fail() -> str:
        raise RuntimeError("no model")

    with pytest.raises(RuntimeError, match="no model"):
        slot.get(fail)
    assert slot.value is None
    assert slot.get(lambda: "model") == "model"


def test_discard_releases_once_and_the_next_get_loads_again() -> None:
    slot: LazyModel[str] = LazyModel()
    released: list[str] = []
    slot.discard(released.append)  # nothing loaded: nothing to release
    assert released == []
    slot.get(lambda: "first")
    slot.discard(released.append)
    assert released == ["first"] and slot.value is None
    assert slot.get(lambda: "second") == "second"
