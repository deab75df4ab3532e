"""The warm kernel process (*zygote*): a program run inside bwrap, never imported by the grader.

``_warm`` binds this one file read-only at ``/.grader/zygote.py`` in the sandbox and starts it as
``python -s /.grader/zygote.py INBOX HELLO_FD LIFELINE_FD ROOTS``, so it needs nothing else of
the grader inside the sandbox (the repository is not mounted there), and ``ps`` shows no program
text. Each kernel's view hides ``/.grader`` again, and ``sys.path[0]`` is ``''`` (the kernel's
working folder), as for a program given with ``-c``. It imports ipykernel, numpy and
scipy.stats once, creates no zmq context, event loop or thread, and serves one request per
connection on ``INBOX/zygote.sock``: a JSON line naming a submission folder ``INBOX/NAME``
(``r/`` for sockets, ``conn/kernel.json``, ``work/`` with the notebook and data files). For
each request it forks at once, so what a request says never enters the zygote:

* A (the zygote's namespaces) unshares mount, pid, net and ipc namespaces and forks
* B, pid 1 of the new pid namespace and leader of its own session: fresh ``/proc``, tmpfs on
  ``/tmp``, ``/dev/shm``, ``work`` and ``home``, the notebook and data files bound read-only into
  ``work``, its own ``r`` and ``conn`` (read-only) staged through ``/stage`` while every other
  submission's folder is hidden under a tmpfs; B forks the kernel C and reaps until C exits,
  or until the asking process's lifeline (sent with the request) reads EOF;
* C: rlimits, no_new_privs, every capability dropped, numpy reseeded (Python reseeds ``random``
  at fork), then IPKernelApp with the connection file.

A hands the host a pidfd of B (SCM_RIGHTS): SIGKILL to B ends every process of the submission.
The zygote exits when the host's end of the lifeline pipe closes (the process that started it is
gone, even by kill -9), and bwrap then takes every kernel with it. Pool workers share their
coordinator's zygote (``_warm_shared``): each request carries its asking process's own lifeline,
so a worker killed mid-notebook takes its kernel with it while the zygote serves the others.
"""

import ctypes
import gc
import json
import os
import resource
import select
import signal
import socket
import sys
import traceback

# No collection while importing: the imports make objects by the hundred thousand and keep
# them, so every collection they trigger finds nothing (about a tenth of their CPU); ``serve``
# freezes what they made and turns collection back on before the first kernel is forked.
gc.disable()

import ipykernel.kernelapp  # noqa: E402 (the point of the zygote: imported once, shared by forks)
import numpy  # noqa: E402
import scipy.stats  # noqa: E402, F401

sys.path[0] = ""  # not /.grader: the forked kernels import from their working folder, as with -c
#: What IPKernelApp imports as it initializes (the debugger's among them): imported here, once.
for _name in ("ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "psutil",
              "tornado.gen", "tornado.queues", "tornado.platform.asyncio", "http.server",
              "xmlrpc.client", "IPython.core.completerlib", "faulthandler"):  # fmt: skip
    try:
        __import__(_name)
    except Exception:  # an optional part missing: the kernel imports what it needs itself
        pass

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x8000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SEALED = MS_NOSUID | MS_NODEV
#: Where ``_warm`` binds this file (its ``PROGRAM_INSIDE``); hidden again in every kernel's view.
PROGRAM = "/.grader/zygote.py"


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    enc = [None if v is None else v.encode() for v in (source, target, fstype)]
    check(libc.mount(enc[0], enc[1], enc[2], flags, data and data.encode()), f"mount {target}")


def tmpfs(target, size, mode):
    mount("tmpfs", target, "tmpfs", SEALED, f"size={size},mode={mode}")


def read_only(target):
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | SEALED)


def fresh_proc():
    """A proc of B's own pid namespace. Mounts copied from bwrap's namespace are locked, and a
    new proc may be mounted only where a proc is fully visible: bwrap's has /proc/irq and
    /proc/bus covered, so the host's /proc is bound at /.hostproc for this check alone."""
    mount("proc", "/proc", "proc", MS_RDONLY | SEALED | MS_NOEXEC)
    for path in ("/proc/irq", "/proc/bus"):
        mount(path, path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | SEALED | MS_NOEXEC)
    tmpfs("/.hostproc", 4096, "0000")


def build_view(inbox, roots, request):
    """In B: the submission's filesystem view; returns its folder."""
    own = os.path.join(inbox, request["name"])
    size = request["tmpfs_bytes"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    tmpfs("/stage", 1 << 20, "0700")
    fresh_proc()
    tmpfs(os.path.dirname(PROGRAM), 4096, "0000")  # the zygote's own file is not the kernel's
    staged = {"r": f"{own}/r", "conn": f"{own}/conn", "files": f"{own}/work"}
    staged.update({f"root{i}": root for i, root in enumerate(roots)})
    for name, source in staged.items():
        os.mkdir(f"/stage/{name}")
        mount(source, f"/stage/{name}", None, MS_BIND | (MS_REC if name.startswith("root") else 0))
    for name in staged:
        if name != "r":
            read_only(f"/stage/{name}")
    tmpfs("/tmp", size, "1777")  # hides the inbox too where it lies in /tmp
    tmpfs("/dev/shm", size, "1777")
    for i, root in enumerate(roots):  # an installation under /tmp, as bwrap binds it last
        os.makedirs(root, exist_ok=True)
        mount(f"/stage/root{i}", root, None, MS_MOVE)
    os.makedirs(inbox, mode=0o755, exist_ok=True)
    tmpfs(inbox, 1 << 20, "0755")  # every other submission's folder is now out of sight
    for name in ("r", "conn", "work", "home"):
        os.makedirs(f"{own}/{name}", mode=0o700)
    for name in ("r", "conn"):
        mount(f"/stage/{name}", f"{own}/{name}", None, MS_MOVE)
    mount(None, inbox, None, MS_REMOUNT | MS_RDONLY | SEALED, "size=1048576")
    for name in ("work", "home"):
        tmpfs(f"{own}/{name}", size, "0700")
    for name in request["files"]:
        target = f"{own}/work/{os.path.basename(name)}"
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o400))
        mount(f"/stage/files/{os.path.basename(name)}", target, None, MS_BIND)
        read_only(target)
    check(libc.umount2(b"/stage", 2), "umount /stage")  # MNT_DETACH
    return own


def drop_privileges(limits):
    """In C, last thing before the kernel: limits, no new privileges, no capability at all."""
    for which, value in limits:
        resource.setrlimit(which, (value, value))
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    for cap in range(last + 1):
        check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"bounding set {cap}")
    check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2 words: all zero
    check(libc.capset(header, data), "capset")


def kernel(own, request):
    """C: becomes the submission's kernel; never returns."""
    os.closerange(3, 1 << 16)
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(f"{own}/work")
    limits = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, request["file_size_bytes"]),
        (resource.RLIMIT_NOFILE, request["open_files"]),
    ]
    if request["memory_bytes"]:
        limits.append((resource.RLIMIT_AS, request["memory_bytes"]))
    drop_privileges(limits)
    numpy.random.seed()  # from os.urandom: the zygote's state is shared by every fork
    sys.argv = ["ipykernel_launcher", "-f", f"{own}/conn/kernel.json"]
    app = KernelApp.instance(connection_file=f"{own}/conn/kernel.json")
    app.initialize([])
    app.start()
    os._exit(0)


class KernelApp(ipykernel.kernelapp.IPKernelApp):
    """IPKernelApp with its connection file given as a trait, its command line empty."""

    def parse_command_line(self, argv=None):
        """Nothing to parse: traitlets would build its parser of every option of every class
        all the same, about 10 ms of each kernel's start (issue 31)."""
        self.argv = []


def reaper(inbox, roots, request, ready, lifeline):
    """B, pid 1 of the submission's pid namespace: builds the view, starts C, reaps; ends
    the namespace when the grading process that asked for it is gone (``lifeline``)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # the host's killpg of B's pid reaches the kernel's group too
    try:
        own = build_view(inbox, roots, request)
    except Exception:
        os.write(ready, traceback.format_exc().encode()[-2000:])
        os._exit(1)
    child = os.fork()
    if child == 0:
        os.close(ready)
        try:
            kernel(own, request)
        finally:
            os._exit(1)
    os.write(ready, b"ok")
    os.close(ready)
    os.closerange(3, lifeline)
    os.closerange(lifeline + 1, 1 << 16)
    reap(child, lifeline)


def reap(child, lifeline):
    """B until C exits: reaps every orphan of the namespace as it exits (SIGCHLD wakes the
    poll), and exits at once, taking the namespace with it, when ``lifeline`` reads EOF: the
    grading process that asked for this kernel is gone, even by kill -9, though other
    processes may still use the zygote."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    poller = select.poll()
    poller.register(wake_r, select.POLLIN)
    poller.register(lifeline, select.POLLIN)
    while True:
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid == child:
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        for fd, _ in poller.poll():
            if fd == lifeline:
                os._exit(1)
            os.read(wake_r, 4096)


def spawn(conn, inbox, roots, request, lifeline):
    """A: new namespaces, B inside them; hands the host a pidfd of B, then leaves."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        conn.close()
        reaper(inbox, roots, request, write, lifeline)
    os.close(write)
    status = os.read(read, 4096)
    if status != b"ok":
        conn.sendall(json.dumps({"error": status.decode(errors="replace")}).encode() + b"\n")
        return
    socket.send_fds(conn, [b'{"ok": true}\n'], [os.pidfd_open(child)])


def answer(conn, inbox, roots):
    """One request, in a fork (the zygote has told the host ``F``: forked): first one byte
    carrying the asking process's lifeline (the read end of a pipe it holds open while it
    lives), then a JSON line. ``{"hello": true}`` asks
    for a pidfd of the zygote (a pool worker sharing it); anything else, for a kernel."""
    _, fds, _, _ = socket.recv_fds(conn, 1, 1)
    if len(fds) != 1:
        raise ValueError("a request comes with its lifeline")
    request = json.loads(conn.makefile().readline())
    if request.get("hello") is True:
        socket.send_fds(conn, [b'{"ok": true}\n'], [os.pidfd_open(os.getppid())])
        return
    spawn(conn, inbox, roots, request, fds[0])


def serve(inbox, hello_fd, lifeline, roots):
    # What the imports made lives as long as every kernel: the kernels' collector never goes
    # through it again (a full collection of it cost a kernel 70 to 150 ms of CPU, and wrote to
    # each object's header, so copied every page a kernel shares with this process).
    gc.freeze()
    gc.enable()  # off while importing (above): every kernel collects as a cold one does
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # not ptrace-able, /proc/PID/mem closed
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(inbox, "zygote.sock"))
    listener.listen(8)
    hello = socket.socket(fileno=hello_fd)
    socket.send_fds(hello, [b"ready\n"], [os.pidfd_open(os.getpid())])
    hello.close()
    while True:
        ready, _, _ = select.select([listener, lifeline], [], [])
        if lifeline in ready:
            os._exit(0)  # EOF (or anything): the grading process is gone
        conn, _ = listener.accept()
        if os.fork() == 0:  # the request is read after the fork: the zygote keeps nothing of it
            listener.close()
            os.close(lifeline)
            try:
                answer(conn, inbox, roots)
            except Exception:
                conn.sendall(json.dumps({"error": traceback.format_exc()}).encode() + b"\n")
            finally:
                os._exit(0)
        try:  # forked: the host may take the zygote out of the submission's cgroups now
            conn.send(b"F")
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]))
