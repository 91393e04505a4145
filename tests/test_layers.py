"""The architecture's one-way dependencies, checked on every import statement of the product's code.

``ui -> assistant -> retrieval -> kg``: the library never imports the shells,
retrieval knows nothing of dialogue, the graph nothing of ranking, and
nothing but benchmarks and tests imports ``bench``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "kg": {"retrieval", "assistant", "ui", "bench", "prompts"},
    "retrieval": {"assistant", "ui", "bench", "prompts"},
    "prompts": {"assistant", "retrieval", "kg", "ui", "bench"},
    "assistant": {"ui", "bench"},
    "ui": {"bench"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, lazily imported ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    breaches = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {module: names for module, names in breaches.items() if names} == {}


ROOMS_FORBIDDEN = {
    "understanding": {"turn", "explain", "learning"},
    "sessions": {"turn", "explain", "understanding", "learning"},
    "explain": {"turn", "learning"},
    "turn": {"learning"},
    "llm": {"turn", "explain", "understanding", "sessions", "learning"},
}
"""Rooms inside ``assistant/`` that a room must not reach into: the turn uses the rooms, never the reverse."""


def imported_rooms(path: Path) -> set[str]:
    modules = {node.module for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ImportFrom)}
    return {module.split(".")[1] for module in modules if module and module.startswith("assistant.") and "." in module}


@pytest.mark.parametrize("room", sorted(ROOMS_FORBIDDEN))
def test_assistant_rooms_depend_one_way(room: str) -> None:
    breaches = {
        str(path.relative_to(ROOT)): sorted(imported_rooms(path) & ROOMS_FORBIDDEN[room])
        for path in sorted((ROOT / "assistant" / room).rglob("*.py"))
    }
    assert {module: names for module, names in breaches.items() if names} == {}
