"""Entry point: ``python benchmarks/gpu_check --out gpu_check.json`` (flags: ``--help``; the package's
docstring says how to run it on a GPU machine, with or without network)."""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout: nothing written outside --out and the temp folder

from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
    del sys.path[0]  # run as a folder: its modules (space, generation, ...) must not shadow top-level names
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]  # phyassist and the other benches, installed or not
sys.path.append(str(HERE.parents[1] / "tests"))  # tiny_adapters.py, last so that nothing there shadows a module

from gpu_check.harness import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run())
