"""Measure (once, by hand) the scale guard's memory estimate against the real peak RSS of a run.

    .venv/bin/python tests/reliability/measure_memory.py 1000 100 10

Each scale runs in a fresh subprocess: build the model and simulate ``YEARS`` years, then report
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux). Not a test: the numbers go to RELIABILITY.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

CHILD = """
import json, resource, sys, time
from sim.model import HunanModel
from sim.population import estimate_memory_bytes
scale, years = float(sys.argv[1]), int(sys.argv[2])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
model = HunanModel(scale=scale, rng=1, memory_limit=float("inf"))
built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
for _ in range(years):
    model.step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"scale": scale, "estimate": estimate_memory_bytes(scale), "imports_peak": base,
                  "built_peak": built, "peak": peak, "years": years, "seconds": time.perf_counter() - t0,
                  "records": int(len(model.households))}))
"""

YEARS = 2


def main(scales: list[float]) -> None:
    rows = []
    for scale in scales:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(scale), str(YEARS)], capture_output=True, text=True,
                             check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["wall"] = time.perf_counter() - t0
        rows.append(row)
        mib = 2**20
        print(f"scale {scale:>6g}: {row['records']:>10,} records; estimate {row['estimate'] / mib:8.0f} MiB, "
              f"peak RSS {row['peak'] / mib:8.0f} MiB (after imports {row['imports_peak'] / mib:.0f}, after build "
              f"{row['built_peak'] / mib:.0f}); estimate/peak {row['estimate'] / row['peak']:.2f}; "
              f"{row['seconds']:.0f} s", flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1000.0, 100.0, 10.0])
