"""dev.py: the README's test command is CI's job, linters and type checker included."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def dev_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test_alone_runs_ruff_mypy_then_every_test() -> None:
    steps = dev_module().command_lines("test", [], Path("/venv/python"))
    assert [step[1:4] for step in steps] == [["-m", "ruff", "check"], ["-m", "mypy"], ["-m", "pytest"]]
    assert steps[-1] == ["/venv/python", "-m", "pytest"]  # no filter: the whole suite


def test_test_with_pytest_arguments_runs_only_those_tests() -> None:
    steps = dev_module().command_lines("test", ["tests/cli", "-q"], Path("/venv/python"))
    assert steps == [["/venv/python", "-m", "pytest", "tests/cli", "-q"]]


def test_every_step_runs_and_the_first_failure_is_the_exit_code() -> None:
    dev = dev_module()
    codes = iter([1, 0, 2])
    ran: list[list[str]] = []

    def fake_child(args: list[str]) -> int:
        ran.append(args)
        return next(codes)

    dev.run_child = fake_child  # type: ignore[attr-defined]
    assert dev.run_steps([["py", "ruff"], ["py", "mypy"], ["py", "pytest"]]) == 1
    assert len(ran) == 3  # a lint failure does not hide the test results


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "python3 dev.py test\n" in ci and "python3 dev.py test  " in readme
