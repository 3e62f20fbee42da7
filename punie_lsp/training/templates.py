"""What the training data is made of: one printing idiom per tool, the kinds of question that
call for it, and their phrasings.

Why one idiom per tool: a 135M model taught twenty overlapping snippets blends them (an
adapter trained that way scored 54 % strict on the held-out evaluation, docs/model.md); one
with a single idiom per tool scored 74 % on a tenth of the data. So the seed's categories (tool
or direct, field access, conditional, iteration, multi-step) are kinds of *question*, and the
code varies only where the question needs another computation:

- field access ("how many ...") prints the counts: the first two lines of the tool's idiom;
- iteration and conditional questions ("which ...", "is ... clean?") print the counts and
  every finding (the idiom's loop, with its filter or conditional expression), so whatever
  the question asked about a finding (its line, code, name, message) is in the output;
- multi-step questions chain the idioms of two or three tools, or read the source line of
  each finding.

A snippet has a `{path}` slot, filled with a real path of a generated project (or left out,
`pytest_run()`, for a question naming no path); the generator (training/data.py) runs every
filled snippet and keeps only those that run. The evaluation's questions
(eval_phrasings.json and the eval_*.json files) are written apart from these phrasings.
"""

import re
from dataclasses import dataclass

from punie_lsp.agent.scope import content_words

TESTS_COUNTS = (
    'result = pytest_run("{path}")\n'
    'print(result.passed, "passed,", result.failed, "failed,", result.errors, "errors")'
)
TESTS = (
    TESTS_COUNTS + "\nfor test in result.tests:\n"
    '    if test.outcome != "passed":\n'
    '        print(f"{test.file}:{test.line}", test.name, test.outcome, test.message)'
)
TYPES_COUNTS = (
    'result = typecheck("{path}")\n'
    'print(result.error_count, "errors,", result.warning_count, "warnings")'
)
TYPES = (
    TYPES_COUNTS + "\nfor error in result.errors:\n"
    '    print(f"{error.file}:{error.line}", error.severity, error.code, error.message)'
)
LINT_COUNTS = (
    'result = ruff_check("{path}")\n'
    'print(result.violation_count, "violations,", result.fixable_count, "fixable")'
)
LINT = (
    LINT_COUNTS + "\nfor v in result.violations:\n"
    '    print(f"{v.file}:{v.line}", v.code, v.message, "(fixable)" if v.fixable else "")'
)
READ_DEFINITIONS = (
    'text = read_file("{path}")\n'
    "for number, line in enumerate(text.splitlines(), 1):\n"
    '    if line.lstrip().startswith(("def ", "class ", "async def ")):\n'
    "        print(number, line.strip())"
)
READ_IMPORTS = (
    'text = read_file("{path}")\n'
    "for number, line in enumerate(text.splitlines(), 1):\n"
    '    if line.startswith(("import ", "from ")):\n'
    "        print(number, line)"
)
READ_LENGTH = 'text = read_file("{path}")\nprint(len(text.splitlines()), "lines")'
READ_WHOLE = 'print(read_file("{path}"))'
TYPES_SOURCE = (
    'result = typecheck("{path}")\n'
    'print(result.error_count, "errors,", result.warning_count, "warnings")\n'
    "for error in result.errors:\n"
    "    lines = read_file(error.file).splitlines()\n"
    '    print(f"{error.file}:{error.line}", error.code, error.message)\n'
    '    print("    " + lines[error.line - 1].strip())'
)


@dataclass(frozen=True)
class Intent:
    """One kind of question and the snippet that answers it."""

    name: str
    category: str  # field access | conditional | iteration | multi-step
    code: str  # `{path}` is the path the question names
    phrasings: tuple[str, ...]  # each with `{path}`
    paths: str  # which paths fit: tests | source | file | any
    # Questions that name no path, answered by the tools' own defaults (what the project's
    # configuration selects: `pytest_run()`), with `{project}` for the project's package name
    # and `{test}` for one of its test functions.
    whole: tuple[str, ...] = ()


INTENTS: tuple[Intent, ...] = (
    Intent(
        "tests",
        "iteration",
        TESTS,
        (
            "Which tests fail in {path}?",
            "Show me the test failures in {path}.",
            "Which test cases in {path} are red?",
            "List the failing tests in {path} with their lines.",
            "What broke in {path}?",
            "Run {path} and show what failed.",
            "run tests {path}",
            "Run the tests in {path}.",
            "pytest {path}",
            "Run pytest on {path}.",
            "Why do the tests in {path} fail?",
            "Show the failure messages for {path}.",
            "What error do the failing tests in {path} give?",
            "Explain the test failures in {path}.",
            "What assertion fails in {path}?",
            "Which test in {path} is broken?",
            "Where do the tests in {path} fail?",
            "What's wrong with the tests in {path}?",
            "Show failing tests and their messages for {path}.",
            "Test {path} and tell me what fails.",
            "Which tests don't pass in {path}?",
            "Are there failing tests in {path}? Which ones?",
        ),
        "tests",
        whole=(
            "Run all the tests.",
            "Which tests are failing right now?",
            "Run the test suite.",
            "What fails when I run pytest?",
            "Show me every failing test.",
            "Why is {test} failing?",
            "What's wrong with {test}?",
            "Does {test} pass?",
            "Run {test} and tell me why it fails.",
            "Which {project} tests fail?",
            "Run the {project} tests.",
            "What is broken in the {project} test suite?",
            "Which tests are red?",
            "run the tests",
        ),
    ),
    Intent(
        "tests.conditional",
        "conditional",
        TESTS,
        (
            "Are the tests in {path} passing?",
            "Is {path} green?",
            "Do all tests in {path} pass?",
            "Did anything break in {path}? Run the tests.",
            "Check whether {path} passes.",
            "Are there any failing tests in {path}?",
            "Does {path} pass its tests?",
            "Is everything in {path} passing?",
            "Any test failures in {path}?",
            "Are the tests in {path} ok?",
        ),
        "tests",
        whole=(
            "Are all tests green?",
            "Do the tests pass?",
            "Is the build green?",
            "Does the {project} test suite pass?",
            "Did I break any tests?",
            "Any failing tests?",
        ),
    ),
    Intent(
        "tests.counts",
        "field access",
        TESTS_COUNTS,
        (
            "How many tests fail in {path}?",
            "Give me the pass/fail counts for {path}.",
            "pytest summary for {path}",
            "Count the passing tests in {path}.",
            "How many tests are in {path}?",
            "How many tests does {path} have?",
            "How many passing tests does {path} have?",
            "Number of failing tests in {path}?",
            "How many of the tests in {path} fail?",
            "Test counts for {path}.",
        ),
        "tests",
        whole=(
            "How many tests does the project have?",
            "How many tests fail?",
            "How many tests pass?",
            "Count the failing tests.",
            "How many {project} tests are there?",
            "How many tests fail in the {project} project?",
        ),
    ),
    Intent(
        "types",
        "iteration",
        TYPES,
        (
            "Check types in {path}.",
            "Type-check {path} for me.",
            "what does ty say about {path}",
            "Find the type errors in {path}.",
            "List ty's diagnostics for {path}.",
            "Show me the type errors in {path}.",
            "typecheck {path}",
            "Run ty on {path}.",
            "ty check {path}",
            "Where are the type errors in {path}?",
            "On which lines does ty complain in {path}?",
            "Which kinds of type errors does {path} have?",
            "What ty rules are broken in {path}?",
            "What type problems are there in {path}?",
            "Show ty's errors for {path} with line numbers.",
            "List the type errors in {path} and where they are.",
            "What typing mistakes are in {path}?",
            "Run the type checker over {path}.",
        ),
        "any",
        whole=(
            "Type-check everything.",
            "Check the types of the whole project.",
            "What does ty report for this project?",
            "List every type error.",
            "Type-check the {project} project.",
            "Where are the type errors?",
        ),
    ),
    Intent(
        "types.conditional",
        "conditional",
        TYPES,
        (
            "Does {path} type-check?",
            "Are there type errors in {path}?",
            "Are the type annotations in {path} consistent?",
            "Is {path} free of type errors?",
            "Is {path} type-safe?",
            "Does ty accept {path}?",
            "Any type errors in {path}?",
            "Is {path} clean according to ty?",
        ),
        "any",
        whole=(
            "Are there any type errors anywhere?",
            "Does the project type-check?",
            "Is the {project} code free of type errors?",
        ),
    ),
    Intent(
        "types.counts",
        "field access",
        TYPES_COUNTS,
        (
            "How many type errors are in {path}?",
            "Count ty's errors and warnings in {path}.",
            "How many type warnings does {path} have?",
            "Number of type errors in {path}?",
            "How many errors does ty find in {path}?",
            "How many typing errors does {path} have?",
            "Type error count for {path}.",
        ),
        "any",
        whole=(
            "How many type errors does this project have?",
            "How many type errors are there?",
            "Count the type errors in the {project} project.",
        ),
    ),
    Intent(
        "lint",
        "iteration",
        LINT,
        (
            "Lint {path}.",
            "What does ruff report for {path}?",
            "ruff check {path}",
            "What style problems does {path} have?",
            "Show me the lint warnings in {path}.",
            "Run ruff on {path}.",
            "Which lint issues in {path} can be fixed automatically?",
            "What would ruff --fix change in {path}?",
            "Which ruff findings in {path} have an automatic fix?",
            "Find unused imports in {path}.",
            "Which imports in {path} are not used?",
            "Which ruff rules does {path} break?",
            "What lint codes does ruff give for {path}?",
            "List the ruff violations in {path} with their lines.",
            "Run the linter on {path}.",
            "What does the linter complain about in {path}?",
            "Show ruff's findings for {path}.",
            "Are the imports in {path} sorted?",
            "lint {path}",
        ),
        "any",
        whole=(
            "Lint the whole project.",
            "Run ruff on everything.",
            "What does ruff say about this project?",
            "Lint the {project} project.",
            "Are there unused imports anywhere?",
            "Which lint problems can ruff fix for me?",
        ),
    ),
    Intent(
        "lint.conditional",
        "conditional",
        LINT,
        (
            "Is {path} lint-clean?",
            "Does {path} pass ruff?",
            "Is {path} clean according to the linter?",
            "Are there lint problems in {path}?",
            "Are there unused imports in {path}?",
            "Does ruff accept {path}?",
            "Any lint errors in {path}?",
            "Is {path} ruff-clean?",
        ),
        "any",
        whole=(
            "Does the codebase pass ruff?",
            "Is the {project} project lint-free?",
            "Any lint issues in the project?",
        ),
    ),
    Intent(
        "lint.counts",
        "field access",
        LINT_COUNTS,
        (
            "How many lint violations does {path} have?",
            "Count the ruff violations in {path}.",
            "How many lint problems are in {path}?",
            "How many of the lint issues in {path} are fixable?",
            "Number of ruff findings in {path}?",
            "How many ruff errors does {path} have?",
        ),
        "any",
        whole=(
            "How many lint violations are there overall?",
            "How many ruff violations does the {project} project have?",
            "Count the lint problems.",
        ),
    ),
    Intent(
        "read.definitions",
        "iteration",
        READ_DEFINITIONS,
        (
            "What functions are defined in {path}?",
            "List the classes and functions in {path}.",
            "Show me the definitions in {path}.",
            "Read {path} and list its functions.",
            "What classes does {path} have?",
            "Which methods are in {path}?",
            "List the functions of {path}.",
            "What does {path} define?",
            "Outline {path}.",
            "Give me an overview of the functions in {path}.",
        ),
        "file",
    ),
    Intent(
        "read.imports",
        "iteration",
        READ_IMPORTS,
        (
            "What does {path} import?",
            "Show the imports of {path}.",
            "Which modules does {path} depend on?",
            "List the import statements in {path}.",
        ),
        "file",
    ),
    Intent(
        "read.length",
        "field access",
        READ_LENGTH,
        (
            "How many lines does {path} have?",
            "How long is {path}?",
            "Line count of {path}?",
        ),
        "file",
    ),
    Intent(
        "read.whole",
        "field access",
        READ_WHOLE,
        (
            "Show me {path}.",
            "Print the contents of {path}.",
            "Open {path}.",
            "cat {path}",
            "Read {path} to me.",
        ),
        "file",
    ),
    Intent(
        "types+lint",
        "multi-step",
        TYPES + "\n" + LINT,
        (
            "Check {path} for type errors and lint problems.",
            "Is {path} clean? Check types and lint.",
            "Give me all problems in {path}.",
            "Run ty and ruff on {path}.",
            "Type-check and lint {path}.",
            "Any type or lint issues in {path}?",
            "What do ty and ruff say about {path}?",
            "Show both the type errors and the lint violations in {path}.",
        ),
        "any",
        whole=(
            "Is the project clean?",
            "Run ty and ruff on the whole project.",
            "Type-check and lint everything.",
        ),
    ),
    Intent(
        "health",
        "multi-step",
        "\n".join(
            code.replace('"{path}"', "") for code in (TESTS_COUNTS, TYPES_COUNTS, LINT_COUNTS)
        ),
        (),
        "any",
        whole=(
            "Give me a health report of the project: tests, types and lint.",
            "How healthy is this codebase?",
            "Summarize the state of the project.",
            "Run every check: tests, type checker and linter.",
            "How is the {project} project doing? Tests, types, lint.",
            "Run all checks on the {project} project.",
            "Overall status of the code: tests, ty and ruff.",
            # Beside types+lint's wording, so that naming the tests is what tells them apart.
            "Check the project for failing tests, type errors and lint problems.",
            "Any failing tests, type errors or lint issues?",
            "Run the tests, then check types and lint.",
            "Is everything green: tests, ty and ruff?",
            "Run pytest, ty and ruff on the project.",
            "Tests, type errors and lint violations: how does the code look?",
        ),
    ),
    Intent(
        "types+source",
        "multi-step",
        TYPES_SOURCE,
        (
            "Show me the code behind each type error in {path}.",
            "Which source lines in {path} does ty reject?",
            "Show the offending lines for the type errors in {path}.",
            "Print the line of code for every type error in {path}.",
        ),
        "any",
    ),
)


def surface_forms(question: str) -> tuple[str, ...]:
    """How people type the same question into an editor: as written, in lower case without
    the final punctuation, with "please", and with a greeting in front."""
    bare = question.rstrip("?.!")
    return (question, bare.lower(), f"{bare}, please", f"hey, {question[0].lower()}{question[1:]}")


def tool_words() -> list[str]:
    """The words of every tool question's phrasings: what agent/scope.py takes a question
    about the project to share (agent/tool_words.json; a test keeps the two equal)."""
    words: set[str] = set()
    for intent in INTENTS:
        for phrasing in (*intent.phrasings, *intent.whole):
            words |= content_words(re.sub(r"\{\w+\}", " ", phrasing))
    return sorted(words)
