"""What-if studies: declared changes of a scenario, compare, parameter studies, executors.

See ``docs/STUDIES.md``. :class:`Study` and :func:`compare` are the API;
:func:`run_tasks` runs plain tasks on any :class:`concurrent.futures.Executor`
(local processes or a Dask cluster) and is meant for reuse.
"""

from allocator.study.changes import apply_changes
from allocator.study.compare import compare, side_by_side
from allocator.study.executor import Finished, local_processes, run_tasks
from allocator.study.study import Study, Variant, load_study, solve_task

__all__ = [
    "Finished",
    "Study",
    "Variant",
    "apply_changes",
    "compare",
    "load_study",
    "local_processes",
    "run_tasks",
    "side_by_side",
    "solve_task",
]
