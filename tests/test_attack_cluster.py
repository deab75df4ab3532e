"""Attacks on the Dask cluster a batch is graded on (issue 23, item 10).

Whoever can talk to a Dask scheduler can run code on it and its workers and read the grading
plan (frozen inputs, expected answers). ``local:N`` must take only the grader itself: TLS with a
key made for the run, loopback only, no dashboard and no HTTP route; a ``tcp://`` scheduler
started elsewhere is warned about; a ``tls://`` one is reached with the user's certificates, and
without them the grader says what to set. Real LocalClusters and real kernels throughout.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import dask
import pandas as pd
import psutil
from distributed import Client, LocalCluster
from distributed.comm import connect
from distributed.security import Security

from grader import grade_batch
from grader.integrations._dask import CLUSTER_CONFIG, DaskRunner
from grader.results._model import SubmissionResult
from tests.conftest import ROOT
from tests.test_dask import _copy

#: The routes Dask's HTTP servers serve by default: none may answer on a local cluster.
HTTP_PATHS = (
    "/health",
    "/status",
    "/metrics",
    "/info/main/workers.html",
    "/json/identity.json",
)
WARNING = "takes clients without credentials"


def _intruders(address: str) -> dict[str, str]:
    """Each way in that needs no key of this run, and what became of it: a plain Dask client,
    a TLS client with a certificate of its own, a plain TCP comm asking for the scheduler's
    identity. Each must fail."""
    host_port = address.split("://", 1)[1]
    tries: dict[str, Any] = {
        "plain client": lambda: Client(f"tcp://{host_port}", timeout=3),
        "own certificate": lambda: Client(address, timeout=3, security=Security.temporary()),
        "plain comm": lambda: _plain_comm(f"tcp://{host_port}"),
    }
    outcome = {}
    for name, attempt in tries.items():
        try:
            got = attempt()
        except Exception as exc:
            outcome[name] = f"refused: {type(exc).__name__}"
        else:
            if isinstance(got, Client):
                got.close()
            outcome[name] = f"CONNECTED: {got!r}"[:200]
    return outcome


def _plain_comm(address: str) -> Any:
    """What an intruder without Dask's client would do: a comm, one message, its answer."""

    async def identity() -> Any:
        comm = await connect(address, timeout=3)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    return asyncio.run(identity())


def test_a_local_cluster_takes_no_client_without_the_runs_key_while_grading(assignment, tmp_path):
    folder = _copy(tmp_path, ("alice_numpy", "erin_variance_bug"))
    seen: dict[str, str] = {}
    with DaskRunner.start("local:2") as runner:
        address = runner.client.scheduler.address

        def intrude(result: SubmissionResult) -> None:
            if not seen:
                seen.update(_intruders(address))

        report = grade_batch(
            assignment, [folder], tmp_path / "out", runner=runner, progress=intrude
        )
        clients = runner.client.run_on_scheduler(lambda dask_scheduler: set(dask_scheduler.clients))
        own = runner.client.id

    assert seen and all(v.startswith("refused") for v in seen.values()), seen
    assert address.startswith("tls://127.0.0.1:")
    assert clients == {own, "fire-and-forget"}, "a client other than the grader's is connected"
    assert report.gradebook.set_index("submission").loc["alice_numpy", "total"] == 10


def _listening(pid: int) -> set[tuple[str, int]]:
    return {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process(pid).net_connections("inet")
        if c.status == psutil.CONN_LISTEN
    }


def test_a_local_cluster_listens_on_loopback_only_and_serves_no_http():
    before = _listening(os.getpid())
    with DaskRunner.start("local:2") as runner:
        client = runner.client
        workers = client.run(os.getpid)
        ports = client.run(lambda dask_worker: dask_worker.http_server.port)
        scheduler = runner.cluster.scheduler
        sockets = _listening(os.getpid()) - before  # the scheduler's and the nannies'
        for pid in workers.values():
            sockets |= _listening(pid)
        http = [scheduler.http_server.port, *ports.values()]
        answers = {(port, path): _http_status(port, path) for port in http for path in HTTP_PATHS}
        sitemaps = [_http_json(port, "/sitemap.json") for port in http]

    assert all(a.startswith("tls://127.0.0.1:") for a in [scheduler.address, *workers])
    assert len(sockets) >= 2 + 2 * len(workers), sockets  # scheduler, nannies, workers: TLS+HTTP
    assert {ip for ip, _ in sockets} == {"127.0.0.1"}, sockets
    assert scheduler.http_application.applications == [], "the dashboard is on"
    assert set(answers.values()) == {404}, answers
    assert sitemaps == [{"paths": ["/sitemap.json"]}] * len(http), sitemaps  # itself alone


def _http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _http_json(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
        return json.load(answer)


def _cli(
    scheduler: str, folder: Path, out: Path, env: dict[str, str]
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *(sys.executable, "-m", "grader", "grade", "variational_inference", str(folder)),
            *("--out", str(out), "--scheduler", scheduler),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DASK_DISTRIBUTED__COMM")}


def test_a_tcp_scheduler_is_used_with_one_warning_that_it_takes_anyone(tmp_path):
    with dask.config.set(CLUSTER_CONFIG):
        plain = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None)
    folder = _copy(tmp_path, ("alice_numpy",))
    with plain:
        run = _cli(plain.scheduler_address, folder, tmp_path / "out", _plain_env())

    assert run.returncode == 0, run.stderr
    assert run.stderr.count(WARNING) == 1, run.stderr
    assert f"Warning: the Dask scheduler at {plain.scheduler_address} {WARNING}" in run.stderr
    assert "run code as its workers' user and read the grading plan" in run.stderr
    assert pd.read_csv(tmp_path / "out" / "gradebook.csv")["total"].tolist() == [10]


def _certificate_files(folder: Path) -> dict[str, str]:
    """A CA, a certificate and a key as PEM files, as an administrator would hand them out."""
    made = Security.temporary()
    files = {"ca": made.tls_ca_file, "cert": made.tls_client_cert, "key": made.tls_client_key}
    paths = {}
    for name, text in files.items():
        path = folder / f"{name}.pem"
        path.write_text(text)
        path.chmod(0o600)
        paths[name] = str(path)
    return paths


def test_a_tls_scheduler_grades_with_the_users_certificates_and_without_them_is_an_error(
    tmp_path,
):
    pem = _certificate_files(tmp_path)
    roles = {
        f"tls_{role}_{part}": pem[part]
        for role in ("scheduler", "worker", "client")
        for part in ("cert", "key")
    }
    security = Security(require_encryption=True, tls_ca_file=pem["ca"], **roles)
    with dask.config.set(CLUSTER_CONFIG):
        secured = LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            dashboard_address=None,
            security=security,
            protocol="tls://",
            host="127.0.0.1",
        )
    folder = _copy(tmp_path, ("alice_numpy",))
    certificates = {
        "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": pem["ca"],
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": pem["cert"],
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": pem["key"],
    }
    with secured:
        address = secured.scheduler_address
        graded = _cli(address, folder, tmp_path / "out", {**_plain_env(), **certificates})
        without = _cli(address, folder, tmp_path / "none", _plain_env())

    assert address.startswith("tls://")
    assert graded.returncode == 0, graded.stderr
    assert WARNING not in graded.stderr
    assert pd.read_csv(tmp_path / "out" / "gradebook.csv")["total"].tolist() == [10]
    assert without.returncode == 2, without.stderr
    error = without.stderr.strip().splitlines()[-1]
    assert error.startswith(f"Error: --scheduler {address} needs the client's TLS certificates")
    for variable in certificates:
        assert variable in error
    assert "Traceback" not in without.stderr
