"""The console scripts answer --help for themselves and every subcommand, quickly and without TensorFlow."""

from __future__ import annotations

import pytest

from console.cli import COMMAND_MODULES as CONSOLE_COMMANDS
from console.cli import main as console_main
from service.cli import COMMAND_MODULES as ROUTER_COMMANDS
from service.cli import main as router_main
from tests.unit.isolation import imports_tensorflow
from training.cli import COMMAND_MODULES as TRAINER_COMMANDS
from training.cli import main as trainer_main


def _subcommands(modules: tuple[str, ...]) -> list[str]:
    return [m.rsplit(".", 1)[1].replace("_", "-") for m in modules]


@pytest.mark.parametrize(
    ("main", "command"),
    [(router_main, c) for c in [None, *_subcommands(ROUTER_COMMANDS)]]
    + [(trainer_main, c) for c in [None, *_subcommands(TRAINER_COMMANDS)]]
    + [(console_main, c) for c in [None, *_subcommands(CONSOLE_COMMANDS)]],
)
def test_help(main: object, command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [command, "--help"] if command else ["--help"]
    with pytest.raises(SystemExit) as info:
        main(argv)  # type: ignore[operator]
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("module", ["service.cli", "training.cli", "console.cli"])
def test_help_does_not_import_tensorflow(module: str) -> None:
    assert not imports_tensorflow(
        f"import {module}, contextlib\nwith contextlib.suppress(SystemExit): {module}.main(['--help'])"
    )


def test_missing_subcommand_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        router_main([])
    assert info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
