"""Code Mode training examples, built from templates and checked before they are written.

Every tool example's snippet passes the sandbox policy (so the model never learns code the
sandbox refuses); every conversation goes through agent.prompt, the formatter serving uses.

    uv run python -m punie_lsp.training.data OUT_DIR [--count 400] [--seed 0]
"""

import argparse
import json
import random
from pathlib import Path
from typing import Any

from punie_lsp.agent import policy, prompt

FOLDERS = ["src", "src/ledger", "tests", "app", "lib", "pkg", "src/api", "tests/unit", "."]
FILES = [
    "src/ledger/accounts.py",
    "src/ledger/transfers.py",
    "app/models.py",
    "app/views.py",
    "lib/utils.py",
    "pkg/core.py",
    "src/api/routes.py",
    "main.py",
]
TEST_FILES = ["tests/test_accounts.py", "tests/test_transfers.py", "tests/unit/test_core.py"]

TESTS_CODE = """\
result = pytest_run("{path}")
print(f"{{result.failed}} failed, {{result.passed}} passed")
for test in result.tests:
    if test.outcome != "passed":
        print(test.file, test.line, test.name, test.message)"""

TYPES_CODE = """\
result = typecheck("{path}")
print(result.error_count, "type errors")
for error in result.errors:
    print(error.file, error.line, error.code, error.message)"""

LINT_CODE = """\
result = ruff_check("{path}")
print(result.violation_count, "violations,", result.fixable_count, "fixable")
for v in result.violations:
    print(v.file, v.line, v.code, v.message)"""

FUNCTIONS_CODE = """\
text = read_file("{path}")
for number, line in enumerate(text.splitlines(), 1):
    if line.lstrip().startswith(("def ", "class ")):
        print(number, line.strip())"""

BOTH_CODE = """\
types = typecheck("{path}")
lint = ruff_check("{path}")
print(types.error_count, "type errors,", lint.violation_count, "lint violations")
for error in types.errors:
    print(error.file, error.line, error.code)
for v in lint.violations:
    print(v.file, v.line, v.code)"""

TEMPLATES: list[tuple[str, list[str], str]] = [
    (
        TESTS_CODE,
        [
            "Which tests fail in {path}?",
            "Run the tests in {path}.",
            "Are the tests in {path} passing?",
            "How many tests fail in {path}?",
            "run tests {path}",
            "Did anything break in {path}? Run the tests.",
            "Show me the test failures in {path}.",
            "Which test cases in {path} are red?",
        ],
        "tests",
    ),
    (
        TYPES_CODE,
        [
            "Check types in {path}.",
            "How many type errors are in {path}?",
            "Are there type errors in {path}?",
            "Type-check {path} for me.",
            "what does ty say about {path}",
            "Find the type errors in {path}.",
            "Are the type annotations in {path} consistent?",
            "List ty's diagnostics for {path}.",
        ],
        "any",
    ),
    (
        LINT_CODE,
        [
            "Lint {path}.",
            "Are there lint problems in {path}?",
            "What does ruff report for {path}?",
            "How many lint violations does {path} have?",
            "ruff check {path}",
            "Which lint issues in {path} can be fixed automatically?",
            "Find unused imports in {path}.",
            "Is {path} lint-clean?",
            "What style problems does {path} have?",
        ],
        "any",
    ),
    (
        FUNCTIONS_CODE,
        [
            "What functions are defined in {path}?",
            "List the classes and functions in {path}.",
            "Show me the definitions in {path}.",
            "Show the top-level definitions of {path}.",
            "Read {path} and list its functions.",
        ],
        "file",
    ),
    (
        BOTH_CODE,
        [
            "Check {path} for type errors and lint problems.",
            "Is {path} clean? Check types and lint.",
            "Give me all problems in {path}.",
        ],
        "any",
    ),
]

# Direct answers: general Python knowledge needs no tool. Short, and correct (reviewed).
DIRECT: list[tuple[str, str]] = [
    (item["question"], item["answer"])
    for item in json.loads((Path(__file__).parent / "direct.json").read_text(encoding="utf-8"))
]


# Questions about the whole project name no path: the tool runs on "." (tests: "tests").
WHOLE_PROJECT: list[tuple[str, str, str]] = [
    (TESTS_CODE, "tests", "Run all the tests."),
    (TESTS_CODE, "tests", "Are all tests green?"),
    (TESTS_CODE, "tests", "Which tests are failing right now?"),
    (TESTS_CODE, ".", "Run the whole test suite."),
    (TYPES_CODE, ".", "Type-check everything."),
    (TYPES_CODE, ".", "How many type errors does this project have?"),
    (TYPES_CODE, ".", "Are there any type errors anywhere?"),
    (LINT_CODE, ".", "Lint the whole project."),
    (LINT_CODE, ".", "How many lint violations are there overall?"),
    (LINT_CODE, ".", "Does the codebase pass ruff?"),
    (BOTH_CODE, ".", "Is the project clean?"),
]


def examples(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """count conversations: about a quarter direct answers, a tenth whole-project questions."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.25:
            question, answer = rng.choice(DIRECT)
        elif roll < 0.35:
            code, path, question = rng.choice(WHOLE_PROJECT)
            snippet = code.format(path=path)
            policy.check(snippet)
            answer = prompt.tool_call(snippet)
        else:
            code, questions, kind = rng.choice(TEMPLATES)
            path = _path(rng, kind)
            question = rng.choice(questions).format(path=path)
            snippet = code.format(path=path)
            policy.check(snippet)  # never teach code the sandbox refuses
            answer = prompt.tool_call(snippet)
        turns = prompt.messages(question)
        out.append({"messages": [*turns, {"role": "assistant", "content": answer}]})
    return out


def _path(rng: random.Random, kind: str) -> str:
    if kind == "file":
        return rng.choice(FILES)
    if kind == "tests":
        return rng.choice(["tests", "tests/unit", ".", *TEST_FILES])
    return rng.choice(FOLDERS + FILES)


def reply_vocabulary(data: list[dict[str, Any]]) -> list[str]:
    """The distinct tool-call replies of a dataset, in order. Shipped beside the adapter as
    replies.json, they are what the model host drafts from (model/lookup.py)."""
    replies = (turn["content"] for example in data for turn in example["messages"])
    return list(dict.fromkeys(r for r in replies if r.startswith("<tool_call>")))


def write(out: Path, count: int, seed: int) -> None:
    data = examples(count, seed)
    valid = max(len(data) // 10, 1)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("valid", data[:valid]), ("train", data[valid:])):
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for example in part:
                f.write(json.dumps(example) + "\n")
    replies = reply_vocabulary(data[valid:])
    (out / "replies.json").write_text(json.dumps(replies, indent=0) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="write Code Mode training data")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write(args.out, args.count, args.seed)


if __name__ == "__main__":
    main()
