"""Users' CSV and JSONL files read with one clear :class:`DataError` per failure; outputs written whole or not."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from core.errors import DataError

CSV_FIELD_LIMIT = 2**31 - 1
"""Longest CSV field read (the csv module's default, 131,072 characters, refuses a long complaint); fits a C long."""

ENCODING = "utf-8-sig"
"""UTF-8, with or without the byte-order mark some spreadsheet programs write."""


def check_input_file(path: Path, what: str = "input file") -> None:
    """A :class:`DataError` unless ``path`` is an existing regular file."""
    if not path.exists():
        raise DataError(f"{what} not found: {path}")
    if not path.is_file():
        raise DataError(f"{what} {path} is not a regular file")


@contextlib.contextmanager
def reading(path: Path, position: Callable[[], object] | None = None) -> Iterator[None]:
    """Turn a failure to read or decode ``path`` into a :class:`DataError`; ``position()`` names the line."""
    try:
        yield
    except UnicodeDecodeError:
        where = f" near line {position()}" if position else ""
        raise DataError(f"{path}: not UTF-8 text{where} (save the file as UTF-8)") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a valid CSV file near line {position() if position else '?'} ({exc})") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None


def csv_rows(path: Path, required: Sequence[str], what: str = "input file") -> Iterator[dict[str, str]]:
    """The rows of a CSV file with a header as dicts (missing cells are ``""``), streamed in file order."""
    check_input_file(path, what)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader: csv.DictReader[str] | None = None
    with (
        reading(path, lambda: reader.line_num + 1 if reader else 1),
        path.open(newline="", encoding=ENCODING) as handle,
    ):
        reader = csv.DictReader(handle, restval="")
        columns = reader.fieldnames or []
        missing = [c for c in required if c not in columns]
        if missing or not columns:
            found = ", ".join(columns) if columns else "none (empty file)"
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}; columns found: {found}")
        yield from reader


def jsonl_objects(path: Path, what: str = "input file") -> Iterator[tuple[int, dict[str, object]]]:
    """``(line number, object)`` of every non-blank line of a JSON-lines file, streamed in file order."""
    check_input_file(path, what)
    number = 0
    with reading(path, lambda: number + 1), path.open(encoding=ENCODING) as handle:
        for number, line in enumerate(handle, start=1):  # noqa: B007 - read by the error's position
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except RecursionError:
                raise DataError(f"{path}:{number}: JSON nested too deeply") from None
            except ValueError as exc:  # JSONDecodeError, or an integer beyond Python's digit limit
                raise DataError(f"{path}:{number}: not JSON ({getattr(exc, 'msg', exc)})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{number}: not a JSON object (one object a line is expected)")
            yield number, record


def checked_text(value: object, where: str) -> str:
    """``value`` when it is a string that can be written as UTF-8 (JSON allows lone surrogates; files do not)."""
    if not isinstance(value, str):
        raise DataError(f"{where}: missing or not a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(f"{where}: not valid Unicode (a lone surrogate escape)") from None
    return value


@contextlib.contextmanager
def atomic_output(path: Path | None) -> Iterator[IO[str]]:
    """A text handle on ``path`` (standard output when None or ``-``) that appears only when the block succeeds.

    The text goes to a hidden temporary file beside ``path`` and is moved into place at the end; on any error
    the temporary file is removed, so no partial output is ever left behind.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    if path.is_dir():
        raise DataError(f"output {path} is a directory; name a file")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tmp.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with handle:
            yield handle
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
