"""The two scripts at the root of a Gradescope autograder package (``_autograder``).

Gradescope's specification: the zip holds ``setup.sh`` (Bash, run once as root when the image is
built, on Ubuntu) and ``run_autograder`` (executable, run as root for each submission with
``/autograder`` as its folder), unpacked into ``/autograder/source``; the student's files are in
``/autograder/submission`` and the results go to ``/autograder/results/results.json``.

The scripts are templates filled by ``_autograder`` (``@NAME@`` placeholders, never shell
expansion of anything the instructor wrote): the assignment's folder in the package, the wheel's
file name, the kernel packages of the spec, and the kernels' user.
"""

from __future__ import annotations

import shlex

#: The unprivileged user ``setup.sh`` creates and ``run_autograder`` starts kernels as.
KERNEL_USER = "grader-kernel"
#: Where ``setup.sh`` installs the grader: outside ``/autograder``, which is root's only.
VENV = "/opt/grader-venv"

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
# `setup.sh user` runs only the first step (what a local test of the package can do).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KERNEL_USER="@KERNEL_USER@"
VENV="${GRADER_VENV:-@VENV@}"

create_kernel_user() {
    # The kernels' own account: no password, no shell, no home; its group is its only one.
    if ! id -u "$KERNEL_USER" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$KERNEL_USER"
    fi
}

install_grader() {
    # setpriv (util-linux) starts each kernel as the user; pkill (procps) ends what it left.
    apt-get install -y --no-install-recommends python3 python3-venv util-linux procps
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # The grader from its own wheel: `grader` on PyPI is another project.
    "$VENV/bin/python" -m pip install --quiet "$SOURCE"/@WHEEL@ @PACKAGES@
    chmod -R go-w "$VENV"
}

lock_source() {
    # Spec, oracles and frozen inputs: root's only, never the kernels'.
    chown -R root:root "$SOURCE"
    chmod -R go-rwx "$SOURCE"
}

create_kernel_user
if [ "${1:-}" = "user" ]; then exit 0; fi
install_grader
lock_source
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this as root for each submission. GRADER_AUTOGRADER_ROOT stands in for
# /autograder (a local test); GRADER_PYTHON for the installed grader's interpreter.
set -uo pipefail
umask 077
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
RESULTS="$ROOT/results"
ASSIGNMENT="$SOURCE"/@ASSIGNMENT@
PYTHON="${GRADER_PYTHON:-@VENV@/bin/python}"
KERNEL_USER="@KERNEL_USER@"
NOTEBOOK_NAME=@NOTEBOOK@

fail() {
    # No results.json: Gradescope shows the submission as not graded, and this output (stdout)
    # to the instructor; a student is never given a score the grader did not compute.
    echo "grader autograder: $*"
    exit 1
}

find_notebook() {
    # The sheet's own file name first, else the one notebook handed in (at most 2 levels down).
    if [ -f "$ROOT/submission/$NOTEBOOK_NAME" ]; then
        printf '%s\n' "$ROOT/submission/$NOTEBOOK_NAME"
        return
    fi
    find "$ROOT/submission" -maxdepth 2 -type f -name '*.ipynb' -not -path '*/.*'
}

mkdir -p "$RESULTS"
chmod 0700 "$SOURCE" "$RESULTS"
mapfile -t FOUND < <(find_notebook)
if [ "${#FOUND[@]}" -ne 1 ]; then
    # A result the student can act on: which file to hand in.
    "$PYTHON" -c 'import json, sys; print(json.dumps({"score": 0, "tests": [], "output":
        f"Hand in one notebook ({sys.argv[1]}); found {sys.argv[2]}."}))' \
        "$NOTEBOOK_NAME" "${#FOUND[@]}" > "$RESULTS/results.json" || fail "cannot write results"
    exit 0
fi
WORK="$(mktemp -d)"   # root's only (umask 077): the grader's output is not the kernel's
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/in"
cp -- "${FOUND[0]}" "$WORK/in/submission.ipynb"
if [ "$(id -u)" = 0 ]; then
    # Root: the kernel runs as the unprivileged user where bubblewrap cannot run (the grader's
    # isolation level `user`); bubblewrap, where it can.
    export GRADER_KERNEL_USER="$KERNEL_USER"
fi
# Its notes (the isolation level among them) on stdout, which Gradescope keeps for staff.
"$PYTHON" -m grader grade "$ASSIGNMENT" "$WORK/in" --out "$WORK/out" --workers 1 2>&1
STATUS=$?
if [ -n "${GRADER_KERNEL_USER:-}" ]; then
    # Whatever the notebook left running as that user is ended before any result is written.
    pkill -KILL -u "$KERNEL_USER" 2>/dev/null
    for _ in $(seq 50); do
        pgrep -u "$KERNEL_USER" >/dev/null || break
        sleep 0.1
    done
    if pgrep -u "$KERNEL_USER" >/dev/null; then
        fail "processes of $KERNEL_USER outlived grading"
    fi
fi
GRADED="$WORK/out/export/gradescope/submission/results.json"
if [ "$STATUS" -gt 1 ] || [ ! -f "$GRADED" ]; then fail "grading failed (exit status $STATUS)"; fi
install -m 0600 "$GRADED" "$RESULTS/results.json"
"""


def fill(template: str, **values: str) -> str:
    """The template with each ``@NAME@`` replaced by a value the caller quoted for the shell
    (``shell_words``) or chose itself (the user, the venv): a file name with a quote or a ``$``
    in it stays one word."""
    text = template
    for name, value in values.items():
        text = text.replace(f"@{name.upper()}@", value)
    return text


def shell_words(words: list[str]) -> str:
    """Words for a command line, each quoted: a package requirement like ``numpy>=2`` is never
    a redirection."""
    return " ".join(shlex.quote(w) for w in words)
