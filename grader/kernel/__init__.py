"""Running one notebook's code safely: sandbox, process limits, cgroups, warm kernels forked
from a sandboxed zygote, the Jupyter client, the wire protocol to the kernel, the driver that
runs inside it, the session around them with its restart policy, and the state a process holds
for its whole life (``_runtime``, which the packages above use for theirs too).

The bottom layer: it imports nothing of the grader's other packages (only ``grader.errors`` and
``grader._files``), so the rules that keep a kernel contained live in one place and cannot be
bypassed by code above. Everything here is private; the public API is ``grader``.
"""
