"""The README checked against the tree: Docker samples are valid events, the floor plan names real paths."""

from __future__ import annotations

import re
from pathlib import Path

from schemas.events import ComplaintEvent, SocialPostEvent, parse_event


def section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, flags=re.MULTILINE | re.DOTALL)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_sample_events_are_valid(repo: Path) -> None:
    docker = section((repo / "README.md").read_text(), "Run with Docker")
    heredocs = re.findall(r"<<'JSON'\n(.*?)\nJSON\n", docker, flags=re.DOTALL)
    lines = [line for block in heredocs for line in block.splitlines()]
    events = [parse_event(line) for line in lines]
    assert {type(e) for e in events} == {ComplaintEvent, SocialPostEvent}


def test_sections_name_the_entry_points(repo: Path) -> None:
    readme = (repo / "README.md").read_text()
    docker = section(readme, "Run with Docker")
    for needle in ("docker compose up -d", "--scale router=3", "GRAFANA_ADMIN_PASSWORD", "SASL_PASSWORD"):
        assert needle in docker, needle
    monitoring = section(readme, "Monitoring")
    assert "http://localhost:3000" in monitoring and "http://localhost:9090" in monitoring


def test_where_things_live_names_paths_that_exist(repo: Path) -> None:
    table = section((repo / "README.md").read_text(), "Where things live").split("| to find")[1]
    named = re.findall(r"`([\w./*-]+/?)`", table)
    assert len(named) > 40
    missing = [name for name in named if not list(repo.glob(name.rstrip("/")))]
    assert not missing, f"README 'Where things live' names paths that do not exist: {missing}"


def test_where_things_live_covers_every_package(repo: Path) -> None:
    table = section((repo / "README.md").read_text(), "Where things live")
    packages = sorted(p.parent.name for p in repo.glob("*/__init__.py") if p.parent.name not in {"tests", "benchmarks"})
    assert [p for p in packages if f"`{p}/" not in table] == []
