"""A small reader of Dockerfiles and .dockerignore files, enough to check them without Docker."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: keyword (upper case), its raw arguments and its stage index."""

    keyword: str
    args: str
    stage: int
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, or ``None`` for shell form."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            _, _, text = text.partition("CMD")
        try:
            value = json.loads(text.strip())
        except json.JSONDecodeError:
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        return None


def parse_dockerfile(path: Path) -> list[Instruction]:
    """Instructions in order, with line continuations joined and comment lines dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # Docker drops comment lines inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage, start))
    if pending:
        raise ValueError(f"{path}: file ends inside a continued instruction")
    return instructions


def stage_names(instructions: list[Instruction]) -> list[str]:
    """The ``AS name`` of each stage ("" when unnamed)."""
    names = []
    for ins in instructions:
        if ins.keyword == "FROM":
            match = re.search(r"\s+AS\s+(\S+)\s*$", ins.args, flags=re.IGNORECASE)
            names.append(match.group(1) if match else "")
    return names


def copy_sources(ins: Instruction) -> list[str]:
    """Context paths of a COPY/ADD without ``--from`` (empty for copies between stages)."""
    parts = [part for part in ins.args.split() if not part.startswith("--")]
    if any(part.startswith("--from") for part in ins.args.split()):
        return []
    if ins.args.lstrip().startswith("["):
        parts = json.loads(ins.args[ins.args.index("[") :])
    return parts[:-1]


def env_values(instructions: list[Instruction], stage: int) -> dict[str, str]:
    """``ENV key=value`` pairs set in one stage (the ``key=value`` form only)."""
    values: dict[str, str] = {}
    for ins in instructions:
        if ins.keyword == "ENV" and ins.stage == stage:
            for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', ins.args):
                values[key] = value.strip('"')
    return values


# ---- .dockerignore --------------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's patterns: ``*`` and ``?`` stay inside one path element, ``**`` crosses any number."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            if pattern.startswith("/", i):
                out += "/?"
                i += 1
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def read_dockerignore(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """``(is_exception, regex)`` per pattern line, in order."""
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line.lstrip("!").strip().strip("/")
        line = line.removeprefix("./")
        rules.append((negate, _pattern_regex(line)))
    return rules


def is_ignored(relpath: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves ``relpath`` out of the build context (the last matching rule wins).

    A pattern that matches a parent folder matches everything under it, as in Docker.
    """
    parts = relpath.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for negate, regex in rules:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored
