"""How the process allocates the household table's large temporaries: keep freed memory for reuse.

Why: a simulated year computes dozens of temporaries the length of the household table (masks, keys, gathered
columns; at 1:1 each is 20-170 MB). glibc's ``malloc`` serves every request above its mmap threshold (at most
32 MB) with a fresh ``mmap`` and returns it to the kernel on ``free``, so every such temporary is page-faulted in
and zeroed by the kernel again, year after year. Measured at 1:1 on this 2-core machine (3 simulated years from
the 2010 state, seed 1): 20.5 s of the 64.5 s went to the kernel (357,000 page faults); with freed memory kept for
reuse the same years took 45.2 s (0.2 s in the kernel, 3,000 page faults) and the peak resident memory rose from
3.81 to 4.09 GiB. The results do not change: where a temporary lives has no effect on what is computed (the
regression digests are the same).

:func:`keep_freed_memory` asks glibc (``mallopt``) to serve large requests from its heap, not to give freed
memory back to the kernel, and to serve every thread from that one heap (the indicators' second thread included,
``sim/indicators.py``). It is process-wide, so the model calls it once when it is built; a program that embeds
the model and wants glibc's defaults sets ``HUNAN_SIM_SYSTEM_MALLOC=1``. On a C library without ``mallopt``
(macOS, Windows, musl's stub) nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8

#: Largest free block at the top of the heap kept instead of returned to the kernel (mallopt takes an int).
_TRIM_THRESHOLD = 2**31 - 1
#: Extra memory asked of the kernel whenever the heap grows, so that growing it again is rare.
_TOP_PAD = 64 << 20

#: Environment variable that leaves glibc's defaults in place.
OPT_OUT = "HUNAN_SIM_SYSTEM_MALLOC"

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Have glibc keep freed memory for reuse (module docstring); True if the settings took effect.

    Idempotent: the first call decides, later calls return its answer. Returns False without changing anything
    when not on Linux, when the C library has no ``mallopt`` or refuses a setting, or when :data:`OPT_OUT` is set.
    """
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get(OPT_OUT, "") not in ("", "0"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter itself uses
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success; musl's stub returns 0. Large requests still fall back to mmap when the heap
    # cannot grow (glibc's sysmalloc does that for the main arena), so no request fails for this setting.
    return all(mallopt(param, value) == 1 for param, value in
               ((_M_TRIM_THRESHOLD, _TRIM_THRESHOLD), (_M_TOP_PAD, _TOP_PAD), (_M_MMAP_MAX, 0),
                # one arena: a thread's large temporaries (sim/indicators.py counts on a second thread) come from
                # the same reused heap instead of fresh mmaps of a thread arena
                (_M_ARENA_MAX, 1)))
