"""Reading docker-compose.yml without Docker: YAML, variable interpolation, service environments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, and $NAME; $$ is a literal $.
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariableError(ValueError):
    """A ``${NAME:?message}`` whose variable is unset (compose refuses to start)."""


def load_compose(path: Path) -> dict[str, Any]:
    """The compose file as data (YAML merge keys ``<<`` resolved, interpolation not applied)."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a mapping")
    return data


def variables(value: object) -> list[tuple[str, str | None, str | None]]:
    """Every ``(name, operator, argument)`` interpolated anywhere inside ``value``."""
    found: list[tuple[str, str | None, str | None]] = []
    if isinstance(value, str):
        for match in _INTERPOLATION.finditer(value):
            if match.group("escaped"):
                continue
            name = match.group("braced") or match.group("bare")
            found.append((name, match.group("op"), match.group("arg")))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found += variables(key) + variables(item)
    elif isinstance(value, list):
        for item in value:
            found += variables(item)
    return found


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` with every variable resolved as compose does, from ``env``."""
    if isinstance(value, str):

        def one(match: re.Match[str]) -> str:
            if match.group("escaped"):
                return "$"
            name = match.group("braced") or match.group("bare")
            op, arg = match.group("op"), match.group("arg") or ""
            current = env.get(name)
            if op in (":-", "-"):
                unset = current is None or (op == ":-" and current == "")
                return arg if unset else str(current)
            if op in (":?", "?"):
                if current is None or (op == ":?" and current == ""):
                    raise MissingVariableError(f"{name}: {arg}")
                return current
            return current or ""

        return _INTERPOLATION.sub(one, value)
    if isinstance(value, Mapping):
        return {interpolate(k, env): interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    return value


def service_environment(service: Mapping[str, Any], shell: Mapping[str, str]) -> dict[str, str]:
    """The environment compose gives a service's container, resolved against ``shell``.

    A key without a value (``NAME:`` or ``- NAME``) is passed through from the shell, and left out
    when the shell does not set it, as the compose specification says.
    """
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = [item.split("=", 1) if "=" in item else [item, None] for item in raw]
        raw = dict(pairs)
    resolved: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            if key in shell:
                resolved[key] = shell[key]
            continue
        resolved[key] = str(interpolate(value if isinstance(value, str) else str(value), shell))
    return resolved


def depends_on(service: Mapping[str, Any]) -> dict[str, str | None]:
    """``dependency -> condition`` (``None`` when the short list form gives none)."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw)
    return {name: (spec or {}).get("condition") for name, spec in raw.items()}


def is_one_shot(service: Mapping[str, Any]) -> bool:
    """A service that runs to completion (restart "no"), like topic creation."""
    return str(service.get("restart", "no")) == "no"
