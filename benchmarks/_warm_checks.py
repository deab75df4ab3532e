"""What ``warm_kernel_probe.py`` runs inside its kernels, and how it reads the answers."""

from __future__ import annotations

import errno
import time

import numpy as np
from jupyter_client import BlockingKernelClient

from grader.kernel._limits import Limits

#: Run in each warm kernel: what it can see of the machine, printed as one JSON line.
INSPECT = r"""
import ctypes, json, os, random, subprocess, sys
import numpy as np
lines = open('/proc/self/status').read().splitlines()
status = dict(l.split(':\t', 1) for l in lines if ':\t' in l)
# unshare(CLONE_NEWUSER) needs a single-threaded caller, which the kernel is not: a fresh child.
userns = json.loads(subprocess.run([sys.executable, '-c', 'import ctypes, json; '
    'libc = ctypes.CDLL(None, use_errno=True); '
    'print(json.dumps([libc.unshare(0x10000000), ctypes.get_errno()]))'],
    capture_output=True, text=True).stdout)
pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
tasks = sorted({int(t) for p in pids for t in os.listdir(f'/proc/{p}/task')})
signalable = []
for pid in range(1, 32768):
    try:
        os.kill(pid, 0)
        signalable.append(pid)
    except ProcessLookupError:
        pass
    except PermissionError:
        signalable.append(pid)
def ls(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return exc.strerror
def writable(path):
    try:
        with open(path, 'a'):
            return True
    except OSError:
        return False
limits = {l[:26].strip(): l[26:47].strip() for l in open('/proc/self/limits').read().splitlines()}
print(json.dumps({
    'repo': os.path.exists(REPO), 'prefix_writable': writable(sys.prefix + '/left_by_kernel'),
    'conn_writable': writable(CONN),
    'limits': [limits[k] for k in ('Max address space', 'Max open files', 'Max file size',
                                   'Max core file size')],
    'hash': hash('the same string'),
    'hostproc': ls('/.hostproc'),
    'caps': {k: status[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')},
    'no_new_privs': status.get('NoNewPrivs', '').strip(),
    'uid': os.getuid(),
    'userns': userns,
    'pids': pids,
    'cmdlines': [open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\0', b' ').decode()[:80]
                 for p in pids],
    'signalable': signalable, 'tasks': tasks,
    'inbox': sorted(os.listdir(INBOX)),
    'tmp': sorted(os.listdir('/tmp')), 'shm': sorted(os.listdir('/dev/shm')),
    'home': sorted(os.listdir(os.environ['HOME'])),
    'leaky_module': 'leaky' in sys.modules,
    'np': float(np.random.random()), 'random': random.random(),
    'net': [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]],
}))
"""
#: Run in the first warm kernel after INSPECT: what a submission might try to leave behind.
LEAVE = r"""
import subprocess, sys, types
open('/tmp/left_by_1', 'w').write('x'); open('/dev/shm/left_by_1', 'w').write('x')
open(os.environ['HOME'] + '/left_by_1', 'w').write('x')
sys.modules['leaky'] = types.ModuleType('leaky')
np.random.seed(1234); random.seed(1234)
child = subprocess.Popen(['sleep', '600'], start_new_session=True)
print(child.pid)
"""


#: Run in the second kernel: how many processes it can start (its cgroup caps them).
PIDS_CAP = r"""
import subprocess
started = []
for _ in range(%d):
    try:
        started.append(subprocess.Popen(['sleep', '60']))
    except OSError:
        break
print(len(started))
for p in started:
    p.kill()
    p.wait()
"""


Check = tuple[str, bool, object]
#: numpy's first draw after ``np.random.seed(1234)``, as the first kernel leaves it.
SEEDED = float(np.random.RandomState(1234).random_sample())
_L = Limits()
#: What /proc/self/limits shows for the limits the zygote sets (soft values).
LIMITS = [str(_L.memory_mb << 20), str(_L.open_files), str(_L.file_size_mb << 20), "0"]


def errorcode(number: int) -> str:
    return errno.errorcode.get(number, str(number))


def interrupt(kc: BlockingKernelClient) -> str:
    """A cell sleeping 60 s, interrupted by a message on the control channel."""
    msg_id = kc.execute("import time; time.sleep(60)")
    time.sleep(1)
    kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    start = time.perf_counter()
    while time.perf_counter() - start < 30:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            content = reply["content"]
            ok = content.get("ename") == "KeyboardInterrupt"
            return "ok" if ok else f"{content['status']} {content.get('ename')}"
    return "no reply in 30 s"


def inside(data: dict, who: str) -> list[Check]:
    """What one kernel sees: privileges, processes, folders, network."""
    caps, userns = data["caps"], data["userns"]
    # ENOSPC: --disable-userns sets user.max_user_namespaces to 1 around the sandbox.
    refused = userns[0] == -1 and userns[1] in (errno.EPERM, errno.ENOSPC)
    own = data["pids"][:1] == [1] and not any(
        "zygote.sock" in c or "bwrap" in c for c in data["cmdlines"]
    )
    return [
        (f"[{who}] all capability sets zero", set(caps.values()) == {"0" * 16}, caps),
        (f"[{who}] no_new_privs", data["no_new_privs"] == "1", data["no_new_privs"]),
        (f"[{who}] unshare(CLONE_NEWUSER) refused ({errorcode(userns[1])})", refused, userns),
        (f"[{who}] /proc shows only its own processes", own, data["cmdlines"]),
        (f"[{who}] signalable pids are its own", data["signalable"] == data["tasks"],
         data["signalable"]),
        (f"[{who}] inbox shows only its own folder", data["inbox"] == [f"s{who}"], data["inbox"]),
        (f"[{who}] network: loopback only", data["net"] == ["lo"], data["net"]),
        (f"[{who}] the repository is not mounted", not data["repo"], data["repo"]),
        (f"[{who}] the host's /proc (zygote only) is hidden",
         data["hostproc"] in ([], "Permission denied"), str(data["hostproc"])[:80]),
        (f"[{who}] the Python installation is read-only", not data["prefix_writable"], ""),
        (f"[{who}] the connection file is read-only", not data["conn_writable"], ""),
        (f"[{who}] rlimits: address space, files, file size, core", data["limits"] == LIMITS,
         data["limits"]),
    ]  # fmt: skip


def between(first: dict, second: dict) -> list[Check]:
    """What the second submission finds of the first (which tried to leave things behind)."""
    found: list[Check] = [
        (f"[2] no file of 1 in {place}", not any("left_by_1" in f for f in second[place]),
         second[place])
        for place in ("tmp", "shm", "home")
    ]  # fmt: skip
    return [
        *found,
        ("[2] module of 1 absent", not second["leaky_module"], ""),
        ("numpy random state differs", first["np"] != second["np"], (first["np"], second["np"])),
        ("[2] numpy not left at 1's seed", second["np"] != SEEDED, second["np"]),
        ("random state differs", first["random"] != second["random"], ""),
    ]
