"""What an assignment is: its spec, its frozen inputs, the plan of a batch (cases and the
oracles' answers) and the bundle students get.

May import ``grader.kernel`` (for ``Limits``), ``grader.errors`` and ``grader._files``; never
``grading``, ``results`` or ``integrations``. Everything here is private; the public API is
``grader``.
"""
