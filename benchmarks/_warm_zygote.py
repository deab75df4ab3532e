"""The zygote of ``warm_kernel_probe.py``: run inside bwrap (as ``python -c`` with this text).

It imports ipykernel, numpy and scipy.stats once, creates no zmq context and no event loop, and
serves one request per connection on ``INBOX/zygote.sock``: a JSON line naming a submission
folder ``INBOX/NAME`` (holding ``r/`` for sockets and ``conn/kernel.json``). For each it forks:

* A (in the zygote's namespaces) unshares mount, pid, net and ipc namespaces and forks
* B, pid 1 of the new pid namespace: fresh /proc, tmpfs on /tmp, /dev/shm, work and home, the
  submission's own ``r`` and ``conn`` staged through ``/stage`` while the inbox is hidden under a
  tmpfs; B forks the kernel C and reaps until C exits;
* C: rlimits, no_new_privs, every capability dropped, ``random`` and numpy reseeded, then
  IPKernelApp with the connection file.

A sends the host a pidfd of B (SCM_RIGHTS): the host's handle on the submission's namespace
(SIGKILL to B ends every process in it). The zygote never runs a submission's code.
"""

import ctypes
import json
import os
import resource
import signal
import socket
import sys
import traceback

import ipykernel.kernelapp  # noqa: F401  the point of the zygote: imported once
import numpy
import scipy.stats  # noqa: F401

INBOX = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x8000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    enc = [None if v is None else v.encode() for v in (source, target, fstype)]
    check(libc.mount(enc[0], enc[1], enc[2], flags, data and data.encode()), f"mount {target}")


def tmpfs(target, size, mode):
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}")


def build_view(request):
    """In B (pid 1 of the new namespaces): the submission's filesystem view."""
    own = os.path.join(INBOX, request["name"])
    size = request["tmpfs_bytes"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    tmpfs("/stage", 1 << 20, "0700")
    # Mounts copied from bwrap's namespace are locked, and a new proc may be mounted only where
    # a proc is fully visible: bwrap's /proc has /proc/irq and /proc/bus covered, so the host's
    # /proc is bound at /.hostproc for this check alone, then hidden under a tmpfs.
    mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for path in ("/proc/irq", "/proc/bus"):
        mount(path, path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    tmpfs("/.hostproc", 4096, "0000")
    for name in ("r", "conn"):
        os.mkdir(f"/stage/{name}")
        mount(f"{own}/{name}", f"/stage/{name}", None, MS_BIND)
    mount(None, "/stage/conn", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    tmpfs("/tmp", size, "1777")  # may hide the inbox already (the grader's scratch is in /tmp)
    tmpfs("/dev/shm", size, "1777")
    os.makedirs(INBOX, mode=0o755, exist_ok=True)
    tmpfs(INBOX, 1 << 20, "0755")  # every other submission's folder is now out of sight
    for name in ("r", "conn", "work", "home"):
        os.makedirs(f"{own}/{name}", mode=0o700)
    for name in ("r", "conn"):
        mount(f"/stage/{name}", f"{own}/{name}", None, MS_MOVE)
    mount(None, INBOX, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1048576")
    for name in ("work", "home"):
        tmpfs(f"{own}/{name}", size, "0700")
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
        (resource.RLIMIT_AS, request["memory_bytes"]),
    ]
    drop_privileges(limits)
    import random

    random.seed()  # from os.urandom: the zygote's state is shared by every fork
    numpy.random.seed()
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = ["ipykernel_launcher", "-f", f"{own}/conn/kernel.json"]
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    app.start()
    os._exit(0)


def reaper(request, ready):
    """B, pid 1 of the submission's pid namespace: builds the view, starts C, reaps."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        own = build_view(request)
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
    os.closerange(3, 1 << 16)
    while True:
        pid, status = os.wait()
        if pid == child:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def spawn(conn, request):
    """A: new namespaces, B inside them; hands the host a pidfd of B, then leaves."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
    check(libc.unshare(flags), "unshare")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        conn.close()
        reaper(request, write)
    os.close(write)
    status = os.read(read, 4096)
    if status != b"ok":
        conn.sendall(json.dumps({"error": status.decode(errors="replace")}).encode() + b"\n")
        return
    pidfd = os.pidfd_open(child)
    socket.send_fds(conn, [b'{"ok": true}\n'], [pidfd])


def serve():
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # not ptrace-able, /proc/PID/mem closed
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks reaped by the kernel
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(INBOX, "zygote.sock"))
    listener.listen(8)
    hello = socket.socket(fileno=int(sys.argv[2]))  # a socketpair end from the host
    socket.send_fds(hello, [b"ready\n"], [os.pidfd_open(os.getpid())])
    hello.close()
    while True:
        conn, _ = listener.accept()
        if os.fork() == 0:  # the request is read after the fork: the zygote keeps nothing of it
            listener.close()
            try:
                spawn(conn, json.loads(conn.makefile().readline()))
            except Exception:
                conn.sendall(json.dumps({"error": traceback.format_exc()}).encode() + b"\n")
            finally:
                os._exit(0)
        conn.close()


serve()
