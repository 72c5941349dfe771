"""Seed a model registry volume from the image's shipped models without overwriting what is there.

    python seed_registry.py SOURCE DEST

Everything in SOURCE that is missing in DEST is copied; nothing in DEST is changed or removed. So the
first start gets the shipped bundles and their ``CURRENT`` pointer, a later image adds its new shipped
versions, and a version the trainer promoted (a newer ``CURRENT``) is never rolled back. Each missing
file or folder is copied under a temporary name and renamed into place, so a reader never sees half
a bundle. Standard library only: it runs in the service image before the router and trainer start.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger("seed_registry")


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy a file or folder next to ``target`` under a temporary name, then rename it into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".seed-{target.name}-", dir=target.parent))
    try:
        staged = staging / target.name
        if source.is_dir():
            shutil.copytree(source, staged, symlinks=False)
        else:
            shutil.copy2(source, staged)
        staged.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def seed(source: Path, dest: Path, depth: int = 1) -> list[Path]:
    """Copy into ``dest`` every entry of ``source`` that ``dest`` lacks; returns the copied paths.

    Folders present on both sides are merged down to ``depth`` levels (``models/`` -> ``classifier/``);
    deeper ones are bundles, and an existing bundle is left exactly as it is.
    """
    if not source.is_dir():
        raise FileNotFoundError(f"no shipped registry at {source}")
    dest.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    # Folders before files, so a version is in place before a CURRENT that may name it.
    for entry in sorted(source.iterdir(), key=lambda p: (not p.is_dir(), p.name)):
        target = dest / entry.name
        if entry.is_dir() and target.is_dir():
            if depth > 0:
                copied.extend(seed(entry, target, depth - 1))
        elif not target.exists():
            _copy_atomically(entry, target)
            copied.append(target)
    return copied


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``seed_registry.py SOURCE DEST``."""
    args = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if len(args) != 2 or args[0] in ("-h", "--help"):
        logger.error("usage: seed_registry.py SOURCE DEST")
        return 2
    source, dest = Path(args[0]), Path(args[1])
    try:
        copied = seed(source, dest)
    except OSError as exc:
        logger.error("seeding %s from %s failed: %s", dest, source, exc)
        return 1
    logger.info("seeded %s from %s: %d new entries %s", dest, source, len(copied), [str(p) for p in copied])
    return 0


if __name__ == "__main__":
    sys.exit(main())
