"""docs/security.md names the test that proves each protection: every test it names exists, so the list
cannot silently point at a test that was renamed or removed."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _named_tests(text: str) -> list[tuple[str, str]]:
    """(file, test) for each `tests/x.py::name`, and each `::name` that follows it (same file)."""
    named, current = [], None
    for match in re.finditer(r"(tests/[\w/]+\.py)?::(\w+)", text):
        current = match.group(1) or current
        named.append((current, match.group(2)))
    return named


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_page_names_exists():
    named = _named_tests((ROOT / "docs" / "security.md").read_text(encoding="utf-8"))
    assert len(named) > 40
    missing = [f"{file}::{name}" for file, name in named
               if file is None or not (ROOT / file).exists() or name not in _functions(ROOT / file)]
    assert missing == []
