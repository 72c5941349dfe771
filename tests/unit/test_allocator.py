"""Choosing the allocator: read it from the memory map, find the library, re-execute at most once."""

from __future__ import annotations

from pathlib import Path

from service.allocator import LIBRARY, TRIED_ENV, allocator_in, find_library, preload_env, running_allocator

MAPS_GLIBC = "7f00-7f10 r-xp 00000000 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
MAPS_JEMALLOC = MAPS_GLIBC + "7f20-7f30 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n"


def test_the_memory_map_names_the_allocator() -> None:
    assert allocator_in(MAPS_GLIBC) == "glibc"
    assert allocator_in(MAPS_JEMALLOC) == "jemalloc"
    assert allocator_in("... /usr/lib/libtcmalloc_minimal.so.4\n") == "tcmalloc"
    assert running_allocator() in {"glibc", "jemalloc", "tcmalloc"}


def test_the_library_is_found_in_the_first_directory_that_has_it(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / LIBRARY).write_bytes(b"\x7fELF")
    assert find_library([str(tmp_path / "a"), str(tmp_path / "b")]) == tmp_path / "b" / LIBRARY
    assert find_library([str(tmp_path / "a")]) is None


def test_preload_env_asks_for_one_reexec_and_keeps_an_existing_preload(tmp_path: Path) -> None:
    lib = tmp_path / LIBRARY
    env = preload_env("jemalloc", "glibc", {"PATH": "/bin", "LD_PRELOAD": "/x/other.so"}, lib)
    assert env is not None
    assert env["LD_PRELOAD"] == f"{lib} /x/other.so" and env[TRIED_ENV] == "1" and env["PATH"] == "/bin"
    assert preload_env("jemalloc", "glibc", {}, lib) == {"LD_PRELOAD": str(lib), TRIED_ENV: "1"}


def test_no_reexec_when_done_unwanted_impossible_or_already_tried(tmp_path: Path) -> None:
    lib = tmp_path / LIBRARY
    assert preload_env("jemalloc", "jemalloc", {}, lib) is None, "already loaded"
    assert preload_env("system", "glibc", {}, lib) is None, "not wanted"
    assert preload_env("jemalloc", "glibc", {}, None) is None, "not installed"
    assert preload_env("jemalloc", "glibc", {TRIED_ENV: "1"}, lib) is None, "the loader refused it once"
