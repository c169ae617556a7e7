"""The shape of the code: imports point one way, click stays in the CLI, nothing generic is installed.

Read from the source with ``ast`` (imports inside functions count too), so a
lazy import cannot hide a wrong-way dependency or a cycle.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400  # the guide for "one module, one idea"

# What each part of the toolkit may import from the project itself (prefix match).
ALLOWED: dict[str, tuple[str, ...]] = {
    "aisvc": (),
    "aisvc.contract": (),
    "aisvc.errors": (),
    "aisvc.policy": ("aisvc.contract", "aisvc.policy"),
    "aisvc.config": ("aisvc.contract", "aisvc.errors", "aisvc.config"),
    "aisvc.services": ("aisvc.contract", "aisvc.errors", "aisvc.services"),
    "aisvc.client": ("aisvc.contract", "aisvc.client"),
    "aisvc.plan": ("aisvc.contract", "aisvc.errors", "aisvc.services", "aisvc.config", "aisvc.policy", "aisvc.plan"),
    "aisvc.check": ("aisvc.contract", "aisvc.errors", "aisvc.services", "aisvc.check"),
    # A rotation ends with the post-deploy check: the one command another command runs.
    "aisvc.rotate": ("aisvc.contract", "aisvc.errors", "aisvc.services", "aisvc.check", "aisvc.rotate"),
    "aisvc.preflight": ("aisvc.contract", "aisvc.errors", "aisvc.services", "aisvc.config", "aisvc.preflight"),
    "aisvc.cli": ("aisvc",),
    "aisvc.__main__": ("aisvc.cli", "aisvc.errors", "aisvc.services.startup"),
    # The Pulumi program, its components and the policy pack see only the shared contract
    # (the program also reads the stack config through aisvc.config).
    "components": ("aisvc.contract", "components"),
    "program": ("aisvc.contract", "aisvc.config", "components"),
    "policy": ("aisvc.policy",),
}
PROJECT_ROOTS = ("aisvc", "components", "policy")


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    if relative == Path("__main__"):
        return "program"
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def source_files() -> Iterator[Path]:
    yield ROOT / "__main__.py"
    for root in PROJECT_ROOTS:
        yield from sorted((ROOT / root).rglob("*.py"))


def project_imports(path: Path) -> set[str]:
    """Every project module this file imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PROJECT_ROOTS}


def layer(module: str) -> str:
    owners = [key for key in ALLOWED if module == key or module.startswith(key + ".")]
    assert owners, f"{module} belongs to no layer of ALLOWED: add it there"
    return max(owners, key=len)


def test_every_import_points_the_allowed_way() -> None:
    wrong = []
    for path in source_files():
        module = module_name(path)
        allowed = ALLOWED[layer(module)]
        for imported in sorted(project_imports(path)):
            if not any(imported == ok or imported.startswith(ok + ".") for ok in allowed):
                wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert wrong == []


def test_click_and_rich_widgets_only_in_the_cli_layer() -> None:
    offenders = []
    for path in source_files():
        module = module_name(path)
        names = {alias.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                  if isinstance(node, ast.ImportFrom)}
        if any(name == "click" or name.startswith("click.") for name in names) and not module.startswith("aisvc.cli"):
            offenders.append(module)
    assert offenders == []


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    modules = {module_name(path): path for path in source_files()}
    for module, path in modules.items():
        # "from aisvc.check import run_check" names the package aisvc.check, not a module run_check.
        graph[module] = {imported for imported in project_imports(path) if imported in modules and imported != module}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in trail:
                cycle = trail[trail.index(imported):] + [imported]
                # A package's __init__ re-exporting its own modules is not a cycle between ideas.
                if not all(name == cycle[0] or name.startswith(cycle[0] + ".") for name in cycle):
                    cycles.append(cycle)
            elif len(trail) < 30:
                visit(imported, [*trail, imported])

    for module in sorted(graph):
        visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("path", [p for p in source_files()], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_the_size_guide(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by idea"


def test_pip_install_puts_only_aisvc_into_site_packages(tmp_path: Path) -> None:
    # A copy of what `pip install .` reads, so the build leaves nothing behind in the work tree.
    source, target = tmp_path / "source", tmp_path / "site"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*_cache", "build"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    top_level = {p.name for p in target.iterdir() if not p.name.endswith((".dist-info", ".egg-info"))}
    assert top_level - {"bin", "__pycache__"} == {"aisvc"}
    assert (target / "aisvc" / "contract.py").is_file() and (target / "aisvc" / "cli" / "main.py").is_file()
