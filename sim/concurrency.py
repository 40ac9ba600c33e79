"""A second thread for independent counts over a large household table.

numpy releases the interpreter lock in ``bincount``, in gathers and in most element-wise operations, so two
counts over a 1:1 table can run on this machine's two cores at once (two bincounts over 21 M records: 208 ms one
after the other, 165 ms side by side). The model hands such counts to :func:`soon` where it has other work that
does not depend on them: the indicators (``sim/indicators.py``) and the persons by place at the start of the
labour and housing markets (``sim/model.py``). Only reads run on the thread, and each value is computed by the
same operations on the same arrays as inline, so results are the same bit for bit (``tests/test_concurrency.py``).

Smaller tables count inline: below :data:`PARALLEL_RECORDS` the hand-over costs more than it saves, and a sweep
already runs one model per core.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Household records from which counts go to the second thread (1:1 has 20-27 M; 1:4 about 5 M).
PARALLEL_RECORDS = 4_000_000

_pool: ThreadPoolExecutor | None = None


def parallel_for(records: int) -> bool:
    """Whether a table of ``records`` households hands counts to the second thread."""
    return records >= PARALLEL_RECORDS


def soon(parallel: bool, fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """``fn(*args)`` started on the second thread if ``parallel``, else computed now; call the result for its value
    (an exception on the thread is raised there)."""
    global _pool
    if not parallel:
        value = fn(*args)
        return lambda: value
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hunan-sim-counts")
    return _pool.submit(fn, *args).result
