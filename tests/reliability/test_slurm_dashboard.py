"""The SLURM cluster of ``hunan-sim sweep --slurm``: its dashboards listen on the loopback unless configured
(issue 13). Rendered with dask-jobqueue without SLURM: the scheduler starts in this process, no job is submitted.
"""

from __future__ import annotations

import pytest
from rel_helpers import run_cli

pytest.importorskip("dask_jobqueue")


def _dashboard_hosts(cluster) -> set[str]:
    # tornado keeps no public list of its sockets (as in test_security._listening_hosts)
    return {sock.getsockname()[0] for sock in cluster.scheduler.http_server._sockets.values()}


def test_slurm_scheduler_dashboard_listens_on_localhost_by_default():
    from sim.ensemble import slurm_cluster

    cluster = slurm_cluster(queue="normal")
    try:
        hosts = _dashboard_hosts(cluster)
        script = cluster.job_script()
    finally:
        cluster.close()
    assert hosts == {"127.0.0.1"}
    # each worker's own dashboard, on its compute node, too
    assert "--dashboard-address 127.0.0.1:0" in script and "#SBATCH -p normal" in script


def test_slurm_dashboard_address_can_be_configured():
    from sim.ensemble import slurm_cluster

    cluster = slurm_cluster(dashboard_address="0.0.0.0:0")  # e.g. a trusted cluster network
    try:
        assert _dashboard_hosts(cluster) == {"0.0.0.0"}
    finally:
        cluster.close()


@pytest.mark.slow
def test_slurm_script_command_renders_without_slurm(tmp_path):
    proc = run_cli(["sweep", "hukou-housing", "--slurm-script", "--slurm-queue", "normal", "--slurm-dashboard",
                    "127.0.0.1:0"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "#SBATCH -p normal" in proc.stdout and "--dashboard-address 127.0.0.1:0" in proc.stdout
