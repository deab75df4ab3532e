"""The keys ``spec.toml`` accepts, each with what the reference page says of it: the sheet's
and its questions' and checks' here, the course's tables (rubric, late rule, variants) in
``_spec_keys_course``.

Kept apart from the reader (``_spec``) so that the one list serves both the reader (which
refuses any other key) and the documentation's generated reference (``docs/hooks``).
"""

from __future__ import annotations

from grader.assignment._spec_key import SpecKey
from grader.assignment._spec_keys_course import COURSE_KEYS

#: The tables of spec.toml, in the order the reference shows them.
SPEC_TABLES = {
    "top": "top level",
    "questions": "[[questions]]",
    "checks": "[[questions.checks]]",
    "rubric": "[[questions.rubric]]",
    "late": "[late]",
    "variants": "[variants]",
}

SPEC_KEYS: tuple[SpecKey, ...] = (
    SpecKey(
        "name",
        "top",
        "string",
        None,
        "The assignment's name, as in `grader grade NAME`.",
        redraw=True,
    ),
    SpecKey(
        "title",
        "top",
        "string",
        "the name",
        "A title: the class report's heading, and the column of the Canvas and Moodle exports.",
    ),
    SpecKey(
        "student_notebook",
        "top",
        "string (a path)",
        None,
        "The notebook students get, relative to the spec; `grader assign` writes it.",
    ),
    SpecKey(
        "solution_notebook",
        "top",
        "string (a path)",
        "none",
        "The solution notebook, relative to the spec; `grader assign` writes it. A student "
        "bundle has none.",
    ),
    SpecKey(
        "oracles",
        "top",
        "string (a path)",
        None,
        "The oracles' Python file, relative to the spec: a reference function per check. "
        "Never in a student bundle (there it is left out).",
    ),
    SpecKey(
        "checks",
        "top",
        "string (a path)",
        None,
        "The checks module, relative to the spec: `INPUTS`, `PROPERTIES`, and optionally "
        "`COMPARATORS` and `MISCONCEPTIONS` (see [checks.py](../authoring.md#checkspy-and-the-"
        "oracles)). Never in a student bundle.",
    ),
    SpecKey(
        "comparators",
        "top",
        "string (a path)",
        "none",
        "The comparators' Python file, relative to the spec: a dict `COMPARATORS` of the "
        "functions `compare` names (see [comparators](../authoring.md#comparators)). It ships "
        "in the student bundle, so `grader check` accepts what the final grade accepts; it may "
        "not import the oracles or `checks.py`.",
    ),
    SpecKey(
        "seed",
        "top",
        "integer",
        None,
        "Decides the frozen inputs, with each question id and function name.",
        redraw=True,
    ),
    SpecKey(
        "show_expected",
        "top",
        "boolean",
        "false",
        "`true` shows the expected values in feedback on hidden checks too.",
    ),
    SpecKey(
        "kernel_packages",
        "top",
        "array of strings",
        "[]",
        "What students may import, for readers of the spec: the grader neither installs nor "
        "checks it. Each kernel runs the grader's own interpreter, so these packages must be "
        "installed with the grader.",
    ),
    SpecKey(
        "data_files",
        "top",
        "array of strings (paths)",
        "[]",
        "Files copied next to each notebook when it runs, relative to the spec.",
    ),
    SpecKey(
        "late",
        "top",
        "table",
        "none (lateness is not judged)",
        "The due time and the late rule, a `[late]` table (see [deadlines and late work]"
        "(../how-to/lms-downloads.md#5-deadlines-late-rules-and-extensions)); it changes no "
        "frozen input, and a graded class still resumes (`--resume`) after it is added or "
        "changed.",
    ),
    SpecKey(
        "variants",
        "top",
        "table",
        "none (every student gets the same notebook)",
        "Per-student values, a `[variants]` table: each name a value that `{{ name }}` "
        "placeholders put into the notebook, derived from the course secret and the student's "
        "key (see [per-student variants](../how-to/variants.md)); it changes no frozen input.",
    ),
    SpecKey(
        "questions",
        "top",
        "array of tables",
        None,
        "The questions, each a `[[questions]]` table; at least one graded automatically.",
    ),
    SpecKey(
        "id",
        "questions",
        "string",
        None,
        "The question's id: its column in the gradebook, and `ID` in the cell tag `question:ID`.",
        redraw=True,
    ),
    SpecKey("title", "questions", "string", "the id", "The question's title."),
    SpecKey(
        "points",
        "questions",
        "number > 0",
        None,
        "Its points, split over its checks by their `weight`.",
    ),
    SpecKey(
        "manual",
        "questions",
        "boolean",
        "false",
        "`true`: graded by hand, so it has no checks and is left out of the full marks "
        "`check` and `validate` expect; its answer cell is tagged `manual`, and the answers "
        "are marked through `manual-template.csv` (see [marking by hand]"
        "(../how-to/manual-marks.md)).",
    ),
    SpecKey(
        "checks",
        "questions",
        "array of tables",
        "required unless `manual`",
        "The functions (or values) the question asks for, each a `[[questions.checks]]` table.",
    ),
    SpecKey(
        "function",
        "checks",
        "string",
        "required unless `variable`",
        "The function students write, called by this exact name.",
        redraw=True,
    ),
    SpecKey(
        "variable",
        "checks",
        "string",
        "none",
        "Instead of `function`, `params` and `inputs`: a value the notebook assigns at the "
        "top level (`spread = ...`), read once after every cell ran; its oracle takes no "
        "arguments, and its value is never public. Such a check takes only the keys marked "
        "*variable* here.",
        redraw=True,
        variable=True,
    ),
    SpecKey(
        "name",
        "checks",
        "string (letters, digits, `_`, `-`)",
        "the `field`, else none",
        "Tells apart several checks of one function (or variable) in a question, each with "
        "its own inputs, comparator and weight: its key in `frozen.json` and `public.json` is "
        "`QUESTION/FUNCTION#NAME` (a check without a name keeps `QUESTION/FUNCTION`), and "
        "its line in a letter is `FUNCTION#NAME`. Needed when a question checks a function "
        "twice.",
        redraw=True,
        variable=True,
    ),
    SpecKey(
        "field",
        "checks",
        "string or integer",
        "none",
        "Grade one part of the answer only: a field of a dict (or dataclass) `returns`, or "
        "the index (from 0) of an item of a tuple `returns`. With one check per field, each "
        "field earns its own weight (see [per-field credit](../authoring.md#per-field-credit)).",
        variable=True,
    ),
    SpecKey(
        "params",
        "checks",
        "table (name = kind)",
        "required with `function`",
        "Its parameters in order, each with a kind: `float`, `int`, `vector` (1-D float64 "
        "array), `array` (n-d float64 array), `vector_list` (a list of 1-D arrays); `seed` "
        "(an int) and `generator` (a `numpy.random.Generator`) are not drawn: each call gets "
        "its own seed, or `np.random.default_rng(seed)`, and the check is `stochastic`.",
        redraw=True,
    ),
    SpecKey(
        "returns",
        "checks",
        "string, array or table",
        None,
        "The answer's shape: `scalar`, `vector`, `int`, `bool`, `str`, `array`, or a nesting "
        "(see [Answers](../authoring.md#answers)).",
        variable=True,
    ),
    SpecKey(
        "inputs",
        "checks",
        "string",
        "required with `function`",
        'A name in `INPUTS` of `checks.py`: where its inputs are drawn from; or `"variant"` '
        "(a sheet with `[variants]`): called once, on the student's own values, its parameters "
        "named as values of `[variants]`.",
        redraw=True,
    ),
    SpecKey(
        "oracle",
        "checks",
        "string",
        "the `function` (or `variable`)",
        "The oracle's function name.",
        variable=True,
    ),
    SpecKey(
        "weight", "checks", "number > 0", "1", "Its share of the question's points.", variable=True
    ),
    SpecKey("examples", "checks", "integer >= 0", "100", "How many inputs to draw.", redraw=True),
    SpecKey(
        "public",
        "checks",
        "integer >= 0",
        "5",
        "How many of the simplest inputs are public (in the student bundle's "
        "`public.json`, with their answers); with `public_cases`, their number.",
    ),
    SpecKey(
        "public_cases",
        "checks",
        "array of tables (argument = value)",
        "[]",
        "The inputs to publish, chosen by the author (`[{ n = 2 }, { n = 7 }]`): graded like "
        "every other input, and the first cases of the check, in this order (see "
        "[Public cases](../authoring.md#public-cases)).",
        redraw=True,
    ),
    SpecKey(
        "public_credit",
        "checks",
        "boolean",
        "false",
        'With `credit = "proportional"`: whether the public inputs count towards the share. '
        "By default they do not, since their answers are in the student's bundle.",
    ),
    SpecKey(
        "properties",
        "checks",
        "array of strings",
        "[]",
        "Names in `PROPERTIES` of `checks.py`, tried as hints when the check fails (they "
        "never earn marks).",
    ),
    SpecKey(
        "rtol",
        "checks",
        "number >= 0",
        "1e-6",
        "Relative tolerance of every number in the answer.",
        variable=True,
    ),
    SpecKey(
        "atol",
        "checks",
        "number >= 0",
        "1e-9",
        "Absolute tolerance of every number in the answer.",
        variable=True,
    ),
    SpecKey(
        "credit",
        "checks",
        "string",
        '"all"',
        '`"all"`: its weight only if every input passes; `"proportional"`: the share of '
        "inputs that pass (every input is then run, even after one raised).",
    ),
    SpecKey(
        "compare",
        "checks",
        "string",
        "none",
        "A name in `COMPARATORS` of the `comparators` file (or, in a sheet written before "
        "it existed, of `checks.py`) deciding equality instead of the shape's rule (equal up "
        "to sign, up to order). It may return a sentence instead of `False`: the letter "
        "shows it.",
        variable=True,
    ),
    SpecKey(
        "stochastic",
        "checks",
        "boolean",
        "false",
        "`true`: Python's `random` and NumPy's global generator are seeded before each call, "
        "from the check and the case (the oracle is called under the same seed).",
    ),
    SpecKey(
        "samples",
        "checks",
        "integer from 1",
        "1",
        "With `stochastic`, call N times per input (seeds differ) and compare the mean and "
        "standard deviation of the answers within `rtol`/`atol` (`scalar` or `vector` only), "
        "or in standard errors with `location_se`/`spread_se`.",
    ),
    SpecKey(
        "location_se",
        "checks",
        "number > 0",
        "none (`rtol`/`atol`)",
        "With `samples`: the mean of the answers may be this many standard errors of the "
        "difference from the reference's, on each input and pooled over all the inputs; the "
        "tolerance shrinks as `samples` grows. A correct sampler fails one such test with "
        "probability about 2(1 - Φ(z)): 5.7e-7 for 5 (see [statistical checks]"
        "(../authoring.md#statistical-checks)).",
    ),
    SpecKey(
        "spread_se",
        "checks",
        "number > 0",
        "none (`rtol`/`atol`)",
        "With `samples`: the variance of the answers may be this many standard errors from the "
        "reference's (estimated from both samples' fourth moments), on each input and pooled "
        "over all the inputs.",
    ),
    SpecKey(
        "uses",
        "checks",
        "array of strings",
        "[]",
        "Other functions of the sheet this one calls (an EM fit that calls the student's own "
        "`m_step`): when one of them fails its own check, this check's feedback says so first, "
        "as the cause to fix. The marks stay as the sheet defines them.",
    ),
    SpecKey(
        "same_as",
        "checks",
        "string",
        "none",
        "Only with `variable`, in a sheet with `[variants]`: a function of the sheet whose "
        "parameters are values of `[variants]`. The student's self-check calls their own "
        "function on their own values and compares the variable with it (the expected value is "
        "never in the bundle); grading is unchanged.",
        variable=True,
    ),
    *COURSE_KEYS,
)
