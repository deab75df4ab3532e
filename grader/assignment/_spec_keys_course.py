"""The keys of the tables ``spec.toml`` has for the course around the grading: a manual
question's rubric (for ``grader serve``), the late rule (``[late]``) and per-student values
(``[variants]``). Part of :data:`grader.assignment._spec_keys.SPEC_KEYS`.
"""

from __future__ import annotations

from grader.assignment._spec_key import SpecKey

COURSE_KEYS: tuple[SpecKey, ...] = (
    # A manual question's rubric, for the marking app (grader serve).
    SpecKey(
        "rubric",
        "questions",
        "array of tables",
        "none",
        "Only with `manual`: the rubric the marking app starts from, each item a "
        "`[[questions.rubric]]` table (see [the marking app](../how-to/ta-app.md)).",
    ),
    SpecKey(
        "scoring",
        "questions",
        "string",
        '`"additive"`',
        'Only with `manual`: `"additive"`, the applied rubric items add up from 0; '
        '`"subtractive"`, they are taken off the question\'s points.',
    ),
    SpecKey("points", "rubric", "number ≥ 0", None, "What the item adds (or takes off)."),
    SpecKey("description", "rubric", "string", None, "What the item says, as the TA sees it."),
    # The late policy (grader.assignment._late), applied by the outputs, never by the grading.
    SpecKey(
        "due",
        "late",
        "datetime or string",
        None,
        "When the work is due: a TOML datetime with its offset (`2024-03-04T23:59:00+01:00`), "
        "or a local one with `timezone`. A submission time without an offset (Moodle's "
        "worksheet) is read in this zone.",
    ),
    SpecKey(
        "timezone",
        "late",
        "string",
        "the offset of `due`",
        "An IANA time zone (`Europe/Berlin`) for a `due` written without an offset.",
    ),
    SpecKey(
        "grace_minutes",
        "late",
        "number >= 0",
        "0",
        "Work handed in this long after `due` is on time; past it, lateness counts from `due`.",
    ),
    SpecKey(
        "percent",
        "late",
        "number 0-100",
        "0 (lateness said, nothing taken off)",
        "Taken off the points earned per started `per` late: 10 takes 20% off work 1 day "
        "and 1 minute late.",
    ),
    SpecKey("per", "late", "string", '`"day"`', '`"day"` or `"hour"`: the unit of `percent`.'),
    SpecKey(
        "cap_percent",
        "late",
        "number 0-100",
        "100",
        "The most `percent` per unit may take off, however late.",
    ),
    SpecKey(
        "zero_after_days",
        "late",
        "number >= 0",
        "none",
        "Work more than this many days late gets 0 points, whatever the cap.",
    ),
    # Per-student values (grader.assignment._variants): each `NAME = { SOURCE = ... }`.
    SpecKey(
        "choices",
        "variants",
        "array",
        "one source is required",
        "`NAME = { choices = [...] }`: the student's value is `choices[seed % len(choices)]`, "
        "where seed is the first 8 bytes of HMAC-SHA256 of the course secret, the assignment, "
        "the student's key and NAME (stable whatever the library versions).",
    ),
    SpecKey(
        "generator",
        "variants",
        "string",
        "one source is required",
        '`NAME = { generator = "fn" }`: `fn(seed)` in the oracles\' file or checks.py returns '
        "the value (a number, a string or a list of them).",
    ),
    SpecKey(
        "strategy",
        "variants",
        "string",
        "one source is required",
        '`NAME = { strategy = "s" }`: a Hypothesis strategy `s` of checks.py, drawn under the '
        "seed (the same values for one Hypothesis version; the signed notebooks keep them).",
    ),
)
