"""Runs every benchmark in this folder and prints one table; exits 1 when a target is missed.

A benchmark is any `benchmarks/*.py` module with a `run()` function (callable with no arguments) that
returns rows of {"benchmark", "median_s", "min_s", "target_s", "ok"}.

    .venv/bin/python benchmarks/run_all.py
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def discover() -> list[tuple[str, object]]:
    found = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_") or path.stem == "run_all":
            continue
        spec = importlib.util.spec_from_file_location(f"benchmarks_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        if callable(getattr(module, "run", None)):
            found.append((path.stem, module))
    return found


def main() -> int:
    os.environ.setdefault("SECRET_KEY", "bench")
    rows: list[dict] = []
    failed: list[str] = []
    for name, module in discover():
        print(f"running {name} ...", flush=True)
        start = time.perf_counter()
        try:
            result = module.run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        print(f"  done in {time.perf_counter() - start:.0f} s", flush=True)
        rows.extend(result)

    width = max([len("benchmark")] + [len(r["benchmark"]) for r in rows])
    print()
    print(f"{'benchmark':<{width}} {'median s':>9} {'min s':>8} {'target s':>9}  ok")
    for r in rows:
        print(f"{r['benchmark']:<{width}} {r['median_s']:>9.2f} {r['min_s']:>8.2f} {r['target_s']:>9.1f}  "
              f"{'PASS' if r['ok'] else 'FAIL'}")
    for name in failed:
        print(f"{name:<{width}} {'error':>9}")
    missed = [r for r in rows if not r["ok"]]
    if missed or failed:
        print(f"\n{len(missed)} target(s) missed, {len(failed)} benchmark(s) failed to run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
