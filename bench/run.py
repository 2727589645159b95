"""Run every bench/bench_*.py in its own process, one after the other."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = 0
for script in sorted(here.glob("bench_*.py")):
    print(f"== {script.name}", flush=True)
    failed |= subprocess.call([sys.executable, str(script), *sys.argv[1:]], cwd=here)
sys.exit(failed)
