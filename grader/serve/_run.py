"""Starting the app: bind first, then print the login link (one line, flushed), then serve.

The socket is bound before the link is printed, so the link works the moment it is read (a
script or a test reading stdout can open it at once), and ``--port 0`` prints the port the
system chose.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from grader.errors import GraderError
from grader.results._folder import OutputFolder
from grader.serve._auth import INSTRUCTOR, login_url, new_login


def add_ta(out: Path, name: str, host: str, port: int) -> str:
    """A new login link for teaching assistant ``name`` (their earlier one stops working)."""
    name = name.strip()
    if not name or any(not (c.isalnum() or c in " ._-@") for c in name):
        raise GraderError(f"a TA's name is letters, digits, spaces and . _ - @; got {name!r}")
    return login_url(host, port, new_login(_folder(out), name))


def serve(out: Path, host: str, port: int) -> None:
    """Serve ``out`` until interrupted, after printing the instructor's login link."""
    try:
        import uvicorn

        from grader.serve._app import build_app
    except ImportError as exc:
        message = f"grader serve needs its extra: pip install 'grader[serve]' ({exc})"
        raise GraderError(message) from None

    folder = _folder(out)
    app = build_app(out)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # A response's headers and body are two writes: without this (inherited by each accepted
    # connection on Linux), the second waits for the browser's delayed ACK, 40 ms a page.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise GraderError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(128)  # connections wait in the backlog until the server starts accepting
    bound = sock.getsockname()[1]
    link = login_url(host, bound, new_login(folder, INSTRUCTOR))
    print(f"Marking {out} on {host}:{bound}; Ctrl-C stops. Sign in with:", file=sys.stderr)
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(
            f"Warning: {host} is reachable from other machines over plain HTTP: put a TLS proxy "
            "in front (docs/how-to/ta-app.md, On a course server).",
            file=sys.stderr,
        )
    print(link, flush=True)  # the one line on stdout: what a script or a test reads
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _folder(out: Path) -> OutputFolder:
    folder = OutputFolder(out)
    if not folder.store_path.is_file():
        raise GraderError(f"no results store in {out}: grade into it first (grader grade --out)")
    return folder


def main() -> None:
    """``python -m grader.serve OUT [PORT]``: the app without the rest of the command line."""
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
    serve(Path(sys.argv[1]), "127.0.0.1", port)
