"""Start-up benchmark: how long `export_dataset` and `import_articles` take to do nothing.

    .venv/bin/python bench/bench_startup.py              # SQLite in a temporary folder
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_startup.py
    .venv/bin/python bench/bench_startup.py --runs 9 --imports 15

An export of nothing (a filter no span matches) and an import of an empty folder, each
run --runs times as a child process (median wall time and peak RSS), beside
`python -c 'import django'` for scale. Both commands run no system checks
(`requires_system_checks = []`: they were a third of start-up), so they have no
`--skip-checks` to compare with. Then `python -X importtime` of the export names the
slowest top-level imports, which is where start-up goes.

It only reads: the database must exist and be migrated (with DATABASE_URL, the one it
names; without, a fresh SQLite file in a temporary folder, removed at the end).
Target (issue 10): under 0.8 s for both commands.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.8


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return wall, usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def median_of(command: list[str], runs: int) -> tuple[float, float]:
    results = [run(command) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def slowest_imports(command: list[str], count: int) -> list[tuple[float, str]]:
    """The top-level imports of `command` by cumulative time, slowest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match:  # only unindented names: a top-level import and all it pulled in
            found.append((int(match.group(1)) / 1e6, match.group(2)))
    return sorted(found, reverse=True)[:count]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--imports", type=int, default=12, help="slowest imports to list")
    args = parser.parse_args()

    os.environ.setdefault("FACTCHECK_DEV", "1")
    folder = tempfile.mkdtemp(prefix="factcheck-startup-")
    try:
        if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            os.environ.pop("DATABASE_URL", None)
            os.environ["FACTCHECK_VAR_DIR"] = folder
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True
            )
        empty = Path(folder, "empty")
        empty.mkdir()
        manage = [sys.executable, str(ROOT / "manage.py")]
        commands = {
            "export_dataset (nothing)": [
                *manage,
                "export_dataset",
                "--since",
                "2999-12-31",
                "--output",
                os.devnull,
            ],
            "import_articles (empty folder)": [*manage, "import_articles", str(empty)],
            "python -c 'import django'": [sys.executable, "-c", "import django"],
        }
        print(f"{'command':<32} {'median s':>9} {'RSS MB':>7}")
        for name, command in commands.items():
            wall, rss = median_of(command, args.runs)
            is_ours = command[1:2] == manage[1:2]
            flag = "  (over target)" if is_ours and wall >= TARGET_SECONDS else ""
            print(f"{name:<32} {wall:>9.2f} {rss:>7.0f}{flag}")
        print("\nSlowest top-level imports of the export (cumulative s):")
        for seconds, module in slowest_imports(commands["export_dataset (nothing)"], args.imports):
            print(f"  {seconds:6.3f}  {module}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
