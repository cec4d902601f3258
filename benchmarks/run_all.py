"""The old name of `python -m benchmarks`: the same runner, options and table.

    .venv/bin/python benchmarks/run_all.py [--quick] [--sqlite-only] [--only NAME] [--markdown]
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    spec = importlib.util.spec_from_file_location("benchmarks_runner", HERE / "__main__.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner.main(argv)


if __name__ == "__main__":
    sys.exit(main())
