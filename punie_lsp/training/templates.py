"""What the training data is made of: snippet templates, their phrasings, and the seed's five
categories (tool or direct, conditional logic, field access, iteration, multi-step).

A template's code has a `{path}` slot filled with a real path of a fixture project; the data
generator (training/data.py) runs every filled snippet and keeps only those that run. The
held-out evaluation questions (eval_questions.json) are written apart from these phrasings.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    category: str  # field access | conditional | iteration | multi-step
    code: str
    phrasings: tuple[str, ...]
    paths: str  # which paths fit: any | tests | source | file | whole (the snippet has none)
    # Whole-project phrasings (no path named): the snippet runs on "tests" for pytest, else "."
    whole: tuple[str, ...] = ()


TEMPLATES: tuple[Template, ...] = (
    # pytest_run
    Template(
        "iteration",
        'result = pytest_run("{path}")\n'
        'print(result.failed, "failed,", result.passed, "passed")\n'
        "for test in result.tests:\n"
        '    if test.outcome != "passed":\n'
        "        print(test.file, test.line, test.name, test.message)",
        (
            "Which tests fail in {path}?",
            "Show me the test failures in {path}.",
            "Which test cases in {path} are red?",
            "List the failing tests in {path} with their lines.",
            "What broke in {path}?",
            "Run {path} and show what failed.",
            "run tests {path}",
            "Run the tests in {path}.",
        ),
        "tests",
        whole=(
            "Run all the tests.",
            "Which tests are failing right now?",
        ),
    ),
    Template(
        "field access",
        'result = pytest_run("{path}")\n'
        'print(result.passed, "passed,", result.failed, "failed,", result.errors, "errors,",'
        ' result.skipped, "skipped")',
        (
            "How many tests fail in {path}?",
            "Give me the pass/fail counts for {path}.",
            "pytest summary for {path}",
            "Count the passing tests in {path}.",
            "How many tests are in {path}?",
        ),
        "tests",
        whole=("How many tests does the project have?",),
    ),
    Template(
        "conditional",
        'result = pytest_run("{path}")\n'
        "if result.failed or result.errors:\n"
        '    print("not green:", result.failed, "failed,", result.errors, "errors")\n'
        "    for test in result.tests:\n"
        '        if test.outcome in ("failed", "error"):\n'
        "            print(test.name, test.file, test.line)\n"
        "else:\n"
        '    print("all", result.passed, "tests pass")',
        (
            "Are the tests in {path} passing?",
            "Is {path} green?",
            "Do all tests in {path} pass?",
            "Did anything break in {path}? Run the tests.",
            "Check whether {path} passes.",
            "Are there any failing tests in {path}?",
        ),
        "tests",
        whole=("Are all tests green?",),
    ),
    Template(
        "iteration",
        'result = pytest_run("{path}")\n'
        "for test in result.tests:\n"
        '    if test.outcome == "failed":\n'
        '        print(test.name, "at", f"{{test.file}}:{{test.line}}")\n'
        '        print("   ", test.message)',
        (
            "Why do the tests in {path} fail?",
            "Show the failure messages for {path}.",
            "What error do the failing tests in {path} give?",
            "Explain the test failures in {path}.",
        ),
        "tests",
    ),
    # typecheck
    Template(
        "iteration",
        'result = typecheck("{path}")\n'
        'print(result.error_count, "type errors")\n'
        "for error in result.errors:\n"
        "    print(error.file, error.line, error.code, error.message)",
        (
            "Check types in {path}.",
            "Type-check {path} for me.",
            "what does ty say about {path}",
            "Find the type errors in {path}.",
            "List ty's diagnostics for {path}.",
            "Show me the type errors in {path}.",
            "typecheck {path}",
        ),
        "any",
        whole=("Type-check everything.",),
    ),
    Template(
        "field access",
        'result = typecheck("{path}")\n'
        'print(result.error_count, "errors,", result.warning_count, "warnings")',
        (
            "How many type errors are in {path}?",
            "Count ty's errors and warnings in {path}.",
            "How many type warnings does {path} have?",
            "Number of type errors in {path}?",
        ),
        "any",
        whole=("How many type errors does this project have?",),
    ),
    Template(
        "conditional",
        'result = typecheck("{path}")\n'
        "if result.error_count == 0:\n"
        '    print("no type errors in {path}")\n'
        "else:\n"
        '    print(result.error_count, "type errors in {path}")\n'
        "    for error in result.errors:\n"
        "        print(error.file, error.line, error.code)",
        (
            "Does {path} type-check?",
            "Are there type errors in {path}?",
            "Are the type annotations in {path} consistent?",
            "Is {path} free of type errors?",
        ),
        "any",
        whole=("Are there any type errors anywhere?",),
    ),
    Template(
        "iteration",
        'result = typecheck("{path}")\n'
        "codes = {{}}\n"
        "for error in result.errors:\n"
        "    codes[error.code] = codes.get(error.code, 0) + 1\n"
        "for code, count in sorted(codes.items()):\n"
        "    print(code, count)",
        (
            "Which kinds of type errors does {path} have?",
            "Group the type errors in {path} by rule.",
            "What ty rules are broken in {path}?",
        ),
        "any",
    ),
    Template(
        "iteration",
        'result = typecheck("{path}")\n'
        "for error in result.errors:\n"
        '    print(f"{{error.file}}:{{error.line}}", error.message)',
        (
            "Where are the type errors in {path}?",
            "On which lines does ty complain in {path}?",
        ),
        "source",
    ),
    # ruff_check
    Template(
        "iteration",
        'result = ruff_check("{path}")\n'
        'print(result.violation_count, "violations,", result.fixable_count, "fixable")\n'
        "for v in result.violations:\n"
        "    print(v.file, v.line, v.code, v.message)",
        (
            "Lint {path}.",
            "What does ruff report for {path}?",
            "ruff check {path}",
            "What style problems does {path} have?",
            "Show me the lint warnings in {path}.",
            "Run ruff on {path}.",
        ),
        "any",
        whole=("Lint the whole project.",),
    ),
    Template(
        "field access",
        'result = ruff_check("{path}")\n'
        'print(result.violation_count, "violations,", result.fixable_count, "fixable")',
        (
            "How many lint violations does {path} have?",
            "Count the ruff violations in {path}.",
            "How many lint problems are in {path}?",
            "How many of the lint issues in {path} are fixable?",
        ),
        "any",
        whole=("How many lint violations are there overall?",),
    ),
    Template(
        "conditional",
        'result = ruff_check("{path}")\n'
        "fixable = [v for v in result.violations if v.fixable]\n"
        'print(len(fixable), "of", result.violation_count,'
        ' "violations can be fixed automatically")\n'
        "for v in fixable:\n"
        "    print(v.file, v.line, v.code)",
        (
            "Which lint issues in {path} can be fixed automatically?",
            "What would ruff --fix change in {path}?",
            "Which ruff findings in {path} have an automatic fix?",
        ),
        "any",
    ),
    Template(
        "conditional",
        'result = ruff_check("{path}")\n'
        'unused = [v for v in result.violations if v.code == "F401"]\n'
        'print(len(unused), "unused imports")\n'
        "for v in unused:\n"
        "    print(v.file, v.line, v.message)",
        (
            "Find unused imports in {path}.",
            "Are there unused imports in {path}?",
            "Which imports in {path} are not used?",
        ),
        "any",
        whole=("Are there unused imports anywhere?",),
    ),
    Template(
        "conditional",
        'result = ruff_check("{path}")\n'
        "if result.violation_count == 0:\n"
        '    print("{path} is lint-clean")\n'
        "else:\n"
        '    print(result.violation_count, "violations:", ", ".join(sorted({{v.code for v in'
        " result.violations}})))",
        (
            "Is {path} lint-clean?",
            "Does {path} pass ruff?",
            "Which ruff rules does {path} break?",
            "Is {path} clean according to the linter?",
        ),
        "any",
        whole=("Does the codebase pass ruff?",),
    ),
    # read_file
    Template(
        "iteration",
        'text = read_file("{path}")\n'
        "for number, line in enumerate(text.splitlines(), 1):\n"
        '    if line.lstrip().startswith(("def ", "class ")):\n'
        "        print(number, line.strip())",
        (
            "What functions are defined in {path}?",
            "List the classes and functions in {path}.",
            "Show me the definitions in {path}.",
            "Read {path} and list its functions.",
            "What classes does {path} have?",
        ),
        "file",
    ),
    Template(
        "field access",
        'text = read_file("{path}")\nprint(len(text.splitlines()), "lines")',
        (
            "How many lines does {path} have?",
            "How long is {path}?",
        ),
        "file",
    ),
    Template(
        "iteration",
        'text = read_file("{path}")\n'
        "for number, line in enumerate(text.splitlines(), 1):\n"
        '    if line.startswith(("import ", "from ")):\n'
        "        print(number, line)",
        (
            "What does {path} import?",
            "Show the imports of {path}.",
            "Which modules does {path} depend on?",
        ),
        "file",
    ),
    # multi-step
    Template(
        "multi-step",
        'types = typecheck("{path}")\n'
        'lint = ruff_check("{path}")\n'
        'print(types.error_count, "type errors,", lint.violation_count, "lint violations")\n'
        "for error in types.errors:\n"
        "    print(error.file, error.line, error.code)\n"
        "for v in lint.violations:\n"
        "    print(v.file, v.line, v.code)",
        (
            "Check {path} for type errors and lint problems.",
            "Is {path} clean? Check types and lint.",
            "Give me all problems in {path}.",
            "Run ty and ruff on {path}.",
        ),
        "any",
        whole=("Is the project clean?",),
    ),
    Template(
        "multi-step",
        'result = typecheck("{path}")\n'
        "for error in result.errors:\n"
        "    lines = read_file(error.file).splitlines()\n"
        '    print(f"{{error.file}}:{{error.line}}", error.code)\n'
        '    print("   ", lines[error.line - 1].strip())',
        (
            "Show me the code behind each type error in {path}.",
            "Which source lines in {path} does ty reject?",
        ),
        "any",
    ),
    Template(
        "multi-step",
        'tests = pytest_run("tests")\n'
        'types = typecheck(".")\n'
        'lint = ruff_check(".")\n'
        'print("tests:", tests.passed, "passed,", tests.failed, "failed")\n'
        'print("types:", types.error_count, "errors")\n'
        'print("lint:", lint.violation_count, "violations,", lint.fixable_count, "fixable")',
        (
            "Give me a health report of the project: tests, types and lint.",
            "How healthy is this codebase?",
            "Summarize the state of the project.",
            "Run every check: tests, type checker and linter.",
        ),
        "whole",
    ),
)
