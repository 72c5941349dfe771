"""settle_heap: collects what is garbage now and freezes what survives."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from service.heap import settle_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def _unfreeze_after() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_survivors_are_frozen_and_earlier_cycles_collected() -> None:
    kept = Node()
    a, b = Node(), Node()
    a.other, b.other = b, a
    dead = weakref.ref(a)
    del a, b
    settle_heap()
    assert dead() is None
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())  # frozen objects are out of the collector's lists


def test_a_second_settle_collects_cycles_that_were_frozen() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    settle_heap()  # the cycle is alive here, so it is frozen
    dead = weakref.ref(a)
    del a, b
    settle_heap()
    assert dead() is None
