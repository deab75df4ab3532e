"""How the grading plan reaches every Dask worker: a worker plugin, which the scheduler keeps and
installs on each worker as it joins, a restarted one included.

Scattered data would be lost for good once every worker holding it had died (a notebook that
kills its worker, retried on another, can kill them all), and every task after it would fail
with it. A plugin goes to each worker once, as scattered data did, and its tasks depend on no
data that a worker's death can lose.
"""

from __future__ import annotations

import uuid
from typing import Any

from distributed import WorkerPlugin

from grader.integrations import _dask_task
from grader.integrations._dask_task import ShippedPlan


class PlanPlugin(WorkerPlugin):
    """Installs one batch's plan on a worker under ``name``: unique per batch, so that two
    batches on one cluster never remove each other's plan."""

    def __init__(self, shipped: ShippedPlan) -> None:
        self.shipped = shipped
        self.name = f"grader-plan-{shipped.key}-{uuid.uuid4().hex[:12]}"

    def setup(self, worker: Any) -> None:
        _dask_task.install(self.name, self.shipped)

    def teardown(self, worker: Any) -> None:
        _dask_task.uninstall(self.name)
