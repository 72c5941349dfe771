"""The memory allocator a long-running process uses: jemalloc by default, preloaded by re-executing once.

glibc's malloc fragments under TensorFlow's variable-shaped buffers and the router's resident memory
grows with it; jemalloc keeps it flat (README, "Memory over long runs"). An allocator can only be chosen
before a process starts, so ``serve`` re-executes itself once with ``LD_PRELOAD`` naming the library when
it is installed and not loaded yet. Without the library, or with ``system``, the process runs as started.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

AllocatorChoice = Literal["jemalloc", "system"]

LIBRARY = "libjemalloc.so.2"
SEARCH_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
)
TRIED_ENV = "TICKET_ALLOCATOR_REEXEC"
"""Set in the re-executed process, so a library that the loader refuses never causes a loop."""


def allocator_in(maps: str) -> str:
    """The allocator named by a process's memory map (``/proc/<pid>/maps``): jemalloc, tcmalloc or glibc."""
    if "libjemalloc" in maps:
        return "jemalloc"
    if "libtcmalloc" in maps:
        return "tcmalloc"
    return "glibc"


def running_allocator() -> str:
    """The allocator of this process (``glibc`` where the memory map cannot be read)."""
    try:
        return allocator_in(Path("/proc/self/maps").read_text())
    except OSError:
        return "glibc"


def find_library(dirs: Iterable[str] = SEARCH_DIRS) -> Path | None:
    """The first installed jemalloc shared library in ``dirs``."""
    for directory in dirs:
        candidate = Path(directory) / LIBRARY
        if candidate.is_file():
            return candidate
    return None


def preload_env(
    choice: AllocatorChoice, current: str, env: Mapping[str, str], library: Path | None
) -> dict[str, str] | None:
    """The environment to re-execute with so that ``choice`` is loaded, or None when nothing is to be done."""
    if choice == "system" or current == choice or library is None or env.get(TRIED_ENV):
        return None
    preload = " ".join(p for p in (str(library), env.get("LD_PRELOAD", "")) if p)
    return {**env, "LD_PRELOAD": preload, TRIED_ENV: "1"}


def ensure_allocator(choice: AllocatorChoice) -> str:
    """Re-execute this process with ``choice`` preloaded when possible (does not return then).

    Returns the allocator the process runs with, after logging it.
    """
    current = running_allocator()
    library = find_library()
    env = preload_env(choice, current, os.environ, library)
    if env is not None:
        logging.shutdown()  # flush handlers: the process image is replaced
        os.execve(sys.executable, sys.orig_argv, env)  # noqa: S606 - the same command line, same interpreter
    if choice != "system" and current != choice:
        why = "it is not installed (Debian: libjemalloc2)" if library is None else "the loader did not preload it"
        logger.warning("memory allocator: %s (%s was asked for, but %s)", current, choice, why)
    else:
        logger.info("memory allocator: %s", current)
    return current
