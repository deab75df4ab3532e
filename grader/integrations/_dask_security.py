"""Who may talk to the Dask cluster a batch is graded on.

Whoever can talk to a Dask scheduler can run code on it and on its workers (a task is a pickled
function) and read what it holds: here the grading plan, with the frozen inputs and the expected
answers. Plain ``tcp://`` takes any client without credentials, so:

- ``local:N`` (a cluster started here) speaks TLS with a key made for this run alone
  (``Security.temporary()``: in memory, never on disk), which the scheduler, the workers and the
  grader's client each require of the other side; it listens on 127.0.0.1 only; the dashboard
  is off and the HTTP server Dask still starts (on loopback) serves no route at all.
- a ``tls://`` scheduler started elsewhere is reached with the user's own certificates, given
  through Dask's own configuration (``distributed.comm.tls.*``, or its ``DASK_...`` variables):
  without them there is nothing to connect with, and the grader says what to set.
- any other address (``tcp://``) is the user's choice: it works, with a warning on stderr.

Loaded only with ``--scheduler``; imports distributed only inside its functions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.kernel import _runtime

#: Where a local cluster listens: loopback only, never every interface.
LOOPBACK = "127.0.0.1"
#: A local cluster's HTTP servers (Dask starts one in the scheduler and each worker even with
#: the dashboard off) serve nothing: its default routes (JSON and HTML pages of the cluster's
#: state, a proxy to other ports, Prometheus metrics) need no credentials.
NO_HTTP_ROUTES = {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
#: Schemes that encrypt and authenticate with certificates.
TLS_SCHEMES = ("tls", "wss")
#: The Dask settings a ``tls://`` address needs, with the variables that set them.
TLS_SETTINGS = (
    ("distributed.comm.tls.ca-file", "DASK_DISTRIBUTED__COMM__TLS__CA_FILE"),
    ("distributed.comm.tls.client.cert", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT"),
    ("distributed.comm.tls.client.key", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY"),
)


@dataclass
class Warned:
    """This process's part of the runtime state (``grader.kernel._runtime``): the schedulers it
    has warned about (once each) for taking clients without credentials."""

    addresses: set[str] = field(default_factory=set)


class ClusterError(GraderError):
    """The cluster cannot be reached or used, or some of its workers refused to grade."""


def local_cluster_options() -> dict[str, Any]:
    """What ``LocalCluster`` is given for ``local:N`` (with ``NO_HTTP_ROUTES`` set in the
    config): TLS with a fresh key that only this process and the workers it starts hold, on
    loopback, no dashboard. ``Security.temporary`` needs the ``cryptography`` package."""
    from distributed.security import Security

    return {
        "security": Security.temporary(),
        "protocol": "tls://",
        "host": LOOPBACK,
        "dashboard_address": None,
    }


def remote_security(address: str) -> Any:
    """The ``Security`` to reach a scheduler started elsewhere with: the user's certificates for
    ``tls://`` (an error naming the settings if there are none), else None after a warning that
    the cluster takes anyone."""
    scheme = address.split("://", 1)[0].lower()
    if scheme in TLS_SCHEMES:
        return _user_certificates(address)
    warned = _runtime.part(Warned).addresses
    if address not in warned:
        warned.add(address)
        print(
            f"Warning: the Dask scheduler at {address} takes clients without credentials: "
            "anyone who can reach it can run code as its workers' user and read the grading "
            "plan (frozen inputs, expected answers). Use a tls:// scheduler with certificates "
            "(docs/explanation/isolation.md, The cluster).",
            file=sys.stderr,
        )
    return None


def _user_certificates(address: str) -> Any:
    from distributed.security import Security

    security = Security(require_encryption=True)
    given = {
        "distributed.comm.tls.ca-file": security.tls_ca_file,
        "distributed.comm.tls.client.cert": security.tls_client_cert,
        "distributed.comm.tls.client.key": security.tls_client_key or security.tls_client_cert,
    }
    missing = [(key, var) for key, var in TLS_SETTINGS if not given[key]]
    if missing:
        raise ClusterError(
            f"--scheduler {address} needs the client's TLS certificates: set "
            + ", ".join(f"{var} (Dask's {key})" for key, var in missing)
            + " to PEM files (or the same keys in ~/.config/dask/distributed.yaml)"
        )
    for key, var in TLS_SETTINGS:
        value = given[key]
        if "\n" not in value and not Path(value).is_file():
            raise ClusterError(
                f"--scheduler {address}: {var} (Dask's {key}): no such file: {value}"
            )
    return security
