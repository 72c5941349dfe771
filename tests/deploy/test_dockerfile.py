"""The Dockerfile and .dockerignore, checked without Docker; the healthcheck command is run for real."""

from __future__ import annotations

import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.dockerfile import (
    Instruction,
    copy_sources,
    env_values,
    is_ignored,
    parse_dockerfile,
    read_dockerignore,
    stage_names,
)


def source_dirs(repo: Path) -> set[str]:
    """Every package the wheel ships (pyproject's package list): each must be copied into the image."""
    find = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    return {pattern.rstrip("*") for pattern in find["include"]}


def final_stage(instructions: list[Instruction]) -> int:
    return max(ins.stage for ins in instructions)


def only(instructions: list[Instruction], keyword: str, stage: int | None = None) -> list[Instruction]:
    return [i for i in instructions if i.keyword == keyword and (stage is None or i.stage == stage)]


def test_parser_joins_continuations_and_skips_comments(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text('FROM a AS one\n# comment\nRUN x \\\n  # inner comment\n  && y\nFROM b\nCMD ["z"]\n')
    parsed = parse_dockerfile(path)
    assert [(i.keyword, i.args, i.stage) for i in parsed] == [
        ("FROM", "a AS one", 0),
        ("RUN", "x && y", 0),
        ("FROM", "b", 1),
        ("CMD", '["z"]', 1),
    ]
    assert parsed[-1].exec_form() == ["z"]
    assert Instruction("CMD", "z --flag", 1, 1).exec_form() is None


def test_multi_stage_with_a_slim_runtime(dockerfile: list[Instruction]) -> None:
    names = stage_names(dockerfile)
    assert len(names) >= 2 and names[-1] == "runtime"
    froms = only(dockerfile, "FROM")
    assert froms[-1].args.startswith("${PYTHON_IMAGE}")
    default = next(i for i in dockerfile if i.keyword == "ARG" and i.args.startswith("PYTHON_IMAGE="))
    assert "3.11" in default.args and "slim" in default.args
    copies_from = [i.args for i in only(dockerfile, "COPY", final_stage(dockerfile)) if "--from=" in i.args]
    assert copies_from, "the runtime stage copies its virtualenv from a build stage"


def test_dependencies_install_before_the_source_is_copied(dockerfile: list[Instruction], repo: Path) -> None:
    packages = source_dirs(repo)
    positions = {id(ins): n for n, ins in enumerate(dockerfile)}
    deps_install = next(i for i in only(dockerfile, "RUN") if "pip install -r" in i.args)
    copied_before = [
        s for i in dockerfile[: positions[id(deps_install)]] if i.keyword == "COPY" for s in copy_sources(i)
    ]
    assert copied_before == ["pyproject.toml"], copied_before
    source_copies = [i for i in only(dockerfile, "COPY") if set(copy_sources(i)) & packages]
    assert {s for i in source_copies for s in copy_sources(i)} >= packages
    assert all(positions[id(i)] > positions[id(deps_install)] for i in source_copies)
    assert any("--no-deps" in i.args for i in only(dockerfile, "RUN", final_stage(dockerfile)))


def test_requirements_are_read_from_pyproject(dockerfile: list[Instruction], repo: Path) -> None:
    """The one-liner that writes requirements.txt runs here and yields pyproject's dependencies and tracing extra."""
    run = next(i for i in only(dockerfile, "RUN") if "tomllib" in i.args)
    code = run.args.split('python -c "', 1)[1].split('"', 1)[0]
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    assert out.stdout.splitlines() == project["dependencies"] + project["optional-dependencies"]["tracing"]


def test_runtime_runs_as_a_non_root_user(dockerfile: list[Instruction]) -> None:
    users = only(dockerfile, "USER", final_stage(dockerfile))
    assert users, "no USER in the runtime stage"
    assert users[-1].args.split(":")[0] not in ("root", "0")
    last_user = dockerfile.index(users[-1])
    assert not [i for i in dockerfile[last_user:] if i.keyword == "RUN"], "RUN after USER would run as the app user"


def test_runtime_installs_the_default_allocator(dockerfile: list[Instruction]) -> None:
    from service.allocator import LIBRARY

    runs = " ".join(i.args for i in only(dockerfile, "RUN", final_stage(dockerfile)))
    assert "apt-get install" in runs and "libjemalloc2" in runs, f"{LIBRARY} (Debian libjemalloc2) is not installed"
    assert "rm -rf /var/lib/apt/lists/*" in runs, "apt lists stay in the image"


def test_environment(dockerfile: list[Instruction]) -> None:
    env = env_values(dockerfile, final_stage(dockerfile))
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["TICKET_MODEL_REGISTRY"] == "/app/models/classifier"


def test_exec_form_command_of_an_installed_console_script(dockerfile: list[Instruction], repo: Path) -> None:
    scripts = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["scripts"]
    for keyword in ("CMD", "ENTRYPOINT"):
        for ins in only(dockerfile, keyword):
            assert ins.exec_form() is not None, f"{keyword} must be a JSON array: {ins.args}"
    cmd = only(dockerfile, "CMD", final_stage(dockerfile))[-1].exec_form()
    assert cmd == ["ticket-router", "serve"]
    assert cmd[0] in scripts and "ticket-trainer" in scripts


def test_exposes_router_and_trainer_ports(dockerfile: list[Instruction]) -> None:
    ports = {p for i in only(dockerfile, "EXPOSE") for p in i.args.split()}
    assert ports == {"9100", "8080", "8090"}


def healthcheck_code(argv: list[str]) -> str:
    assert argv[:2] == ["python", "-c"], argv
    return argv[2]


class HealthzStub:
    """A /healthz endpoint on a free loopback port answering 200 or 503, like the services' probes."""

    def __init__(self) -> None:
        self.alive = True
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                ok = self.path == "/healthz" and stub.alive
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def health_server() -> Iterator[HealthzStub]:
    """A started ``HealthzStub``; the test flips ``alive``."""
    stub = HealthzStub()
    stub.thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()


def run_probe(code: str, port: int, original_port: str) -> int:
    code = code.replace(f":{original_port}/", f":{port}/")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30, check=False).returncode


def test_dockerfile_healthcheck_follows_healthz(dockerfile: list[Instruction], health_server: HealthzStub) -> None:
    server = health_server
    check = only(dockerfile, "HEALTHCHECK", final_stage(dockerfile))[-1]
    assert "--start-period=" in check.args
    assert check.args.split("CMD", 1)[1].lstrip().startswith("["), "HEALTHCHECK CMD must be exec form"
    argv = check.exec_form()
    assert argv is not None
    code = healthcheck_code(argv)
    assert "127.0.0.1:9100/healthz" in code
    assert run_probe(code, server.port, "9100") == 0
    server.alive = False
    assert run_probe(code, server.port, "9100") != 0


@pytest.mark.parametrize(("app", "port"), [("router", "9100"), ("trainer", "8080"), ("console", "8090")])
def test_compose_healthchecks_follow_healthz(
    services: dict[str, Any], health_server: HealthzStub, app: str, port: str
) -> None:
    server = health_server
    test = services[app]["healthcheck"]["test"]
    assert test[0] == "CMD"
    code = healthcheck_code(test[1:])
    assert run_probe(code, server.port, port) == 0
    server.alive = False
    assert run_probe(code, server.port, port) != 0


# ---- build context --------------------------------------------------------------------------------


def tracked_files(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def test_dockerignore_matcher(tmp_path: Path) -> None:
    path = tmp_path / ".dockerignore"
    path.write_text("*\n!service/\n**/__pycache__\n.venv\n")
    rules = read_dockerignore(path)
    assert is_ignored("README.md", rules)
    assert not is_ignored("service/cli.py", rules)
    assert is_ignored("service/__pycache__/cli.cpython-311.pyc", rules)
    assert is_ignored(".venv/bin/python", rules)


def test_build_context_holds_what_the_dockerfile_copies_and_no_more(dockerfile: list[Instruction], repo: Path) -> None:
    rules = read_dockerignore(repo / ".dockerignore")
    for name in (".venv/bin/python", ".git/HEAD", "tests/conftest.py", "service/__pycache__/x.pyc", "x.egg-info/a"):
        assert is_ignored(name, rules), name
    context = [f for f in tracked_files(repo) if not is_ignored(f, rules)]
    sources = [s for i in dockerfile if i.keyword in ("COPY", "ADD") for s in copy_sources(i)]
    for source in sources:
        if source == "models" and not (repo / "models").is_dir():
            continue  # checked, with its own message, by test_shipped_models_are_in_the_context
        sent = [f for f in context if f == source or f.startswith(source.rstrip("/") + "/")]
        assert sent, f"COPY {source}: nothing of it reaches the build context"
    assert not [f for f in context if f.startswith(("tests/", "deploy/grafana", "benchmarks/"))]


def test_shipped_models_are_in_the_context(repo: Path) -> None:
    if not (repo / "models" / "classifier").is_dir():
        pytest.skip("models/classifier is not in the repository yet: `docker build` fails at COPY models until it is")
    assert (repo / "models" / "classifier" / "CURRENT").is_file()
    rules = read_dockerignore(repo / ".dockerignore")
    assert not is_ignored("models/classifier/CURRENT", rules)
