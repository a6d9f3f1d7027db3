"""How fast the command line answers: median wall time of `nianbao --help` and `--version` beside
baselines measured in the same run on the same interpreter: a bare `python -c pass` (the floor)
and `python -c "import pandas"` (what every command paid when the CLI imported pandas eagerly).

    uv run python benchmarks/bench_startup.py [--runs 15]

The target (issue 12): `nianbao --help` under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "python -c 'import pandas' (old eager import)": [sys.executable, "-c", "import pandas"],
    "nianbao --help": [sys.executable, "-m", "pipeline", "--help"],
    "nianbao --version": [sys.executable, "-m", "pipeline", "--version"],
    "nianbao fetch --help": [sys.executable, "-m", "pipeline", "fetch", "--help"],
}


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for command in CASES.values():  # warm the file cache
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    results = {name: median_seconds(command, args.runs) for name, command in CASES.items()}
    floor = results["python -c pass (floor)"]
    pandas = results["python -c 'import pandas' (old eager import)"]
    for name, seconds in results.items():
        print(f"{name:48s} {seconds * 1000:7.0f} ms  {seconds / floor:5.1f}x floor  {seconds / pandas:5.2f}x pandas")
    verdict = "under" if results["nianbao --help"] < 0.5 else "OVER"
    print(f"nianbao --help: {results['nianbao --help']:.3f} s median, {verdict} the 0.5 s target")


if __name__ == "__main__":
    main()
