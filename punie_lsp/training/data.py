"""Code Mode training data: executed examples, split with no question shared between splits.

Every tool example is a template snippet (training/templates.py) filled with a real path of a
fixture project (examples/*), checked against the sandbox policy and the typed results' field
names, and run in the sandbox; only snippets that run are kept. A kept run gives two
examples: the question answered with the tool call, and (for a share of them) the same
conversation continued with the real output as the `<tool_response>` turn and a final answer
built from the typed results, so it states true facts. mlx-lm's `--mask-prompt` trains only
the last assistant turn of an example, hence two examples rather than one long one.
Direct answers come from training/direct.json (reviewed by hand). Everything goes through
agent.prompt, the formatter serving uses.

    uv run punie-lsp data OUT_DIR [--count 1200] [--seed 0]
"""

import argparse
import ast
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie_lsp.agent import policy, prompt
from punie_lsp.agent.results import SandboxResult, ToolRun
from punie_lsp.agent.sandbox import run_code
from punie_lsp.tools import (
    RuffResult,
    RuffViolation,
    TestCase,
    TestResult,
    TypeCheckError,
    TypeCheckResult,
)
from punie_lsp.training.templates import TEMPLATES, Template

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECTS = ("sample", "inventory", "textkit")
DIRECT: list[dict[str, str]] = json.loads(
    (Path(__file__).parent / "direct.json").read_text(encoding="utf-8")
)
FINAL_ANSWER_SHARE = 0.4  # of tool runs that also teach the final answer
DIRECT_SHARE = 0.22

# Attributes a snippet may read: the typed results' fields and the methods of the plain
# values they hold. Anything else is a field that does not exist and must not be taught.
_MODELS = (TypeCheckResult, TypeCheckError, RuffResult, RuffViolation, TestResult, TestCase)
ALLOWED_ATTRIBUTES = {name for model in _MODELS for name in model.model_fields} | {
    name for kind in (str, list, dict) for name in dir(kind) if not name.startswith("_")
}


@dataclass(frozen=True)
class Candidate:
    question: str
    code: str
    project: str
    category: str


class UnknownField(ValueError):
    pass


def check_fields(code: str) -> None:
    """Raise UnknownField if the snippet reads an attribute no typed result has."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTES:
            raise UnknownField(f"line {node.lineno}: no result has a field {node.attr!r}")


def project_paths(root: Path) -> dict[str, list[str]]:
    """The paths of a fixture project that a question may name, by kind."""

    def rel(paths: Iterable[Path]) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in paths if p.name != "__init__.py")

    sources = rel((root / "src").rglob("*.py"))
    tests = rel((root / "tests").glob("test_*.py"))
    packages = rel(p for p in (root / "src").iterdir() if p.is_dir())
    return {
        "tests": ["tests", *tests],
        "source": sources,
        "file": sources + tests,
        "any": [".", "src", *packages, "tests", *sources, *tests],
    }


def candidates(projects: Iterable[str] = PROJECTS) -> list[Candidate]:
    """Every (question, snippet, project) the templates can make."""
    out = []
    for name in projects:
        paths = project_paths(EXAMPLES / name)
        for template in TEMPLATES:
            out += _fill(template, name, paths)
    return out


def _fill(template: Template, project: str, paths: dict[str, list[str]]) -> list[Candidate]:
    def make(question: str, path: str) -> Candidate:
        code = template.code.format(path=path)
        return Candidate(question.format(path=path), code, project, template.category)

    whole = "tests" if template.code.startswith("result = pytest_run") else "."
    named = [] if template.paths == "whole" else paths[template.paths]
    return [
        *(make(question, path) for path in named for question in template.phrasings),
        *(make(question, ".") for question in template.phrasings if template.paths == "whole"),
        *(make(question, whole) for question in template.whole),
    ]


def execute(chosen: list[Candidate], workers: int = 4) -> dict[Candidate, SandboxResult]:
    """Run each distinct snippet once per project; keep the results of those that ran."""
    from tqdm import tqdm

    for candidate in chosen:
        policy.check(candidate.code)  # never teach code the sandbox refuses
        check_fields(candidate.code)
    runs = sorted({(c.code, c.project) for c in chosen})
    with ThreadPoolExecutor(workers) as pool:
        results = list(
            tqdm(
                pool.map(lambda run: run_code(run[0], EXAMPLES / run[1]), runs),
                total=len(runs),
                desc="running snippets",
            )
        )
    ran = dict(zip(runs, results, strict=True))
    return {c: ran[(c.code, c.project)] for c in chosen if ran[(c.code, c.project)].error is None}


def final_answer(output: str, results: list[ToolRun]) -> str:
    """The facts of a run in a sentence per tool call, from the typed results, saying only
    what the snippet printed: a model taught to state facts its tool response does not show
    learns to make them up."""
    sentences = [_summary(run.path, run.typed(), output) for run in results]
    said = [s for s in sentences if s]
    return "\n".join(said) if said else "Here is what it shows:\n" + output.strip()


def _said(output: str, *facts: object) -> bool:
    return all(re.search(rf"(?<![\w.]){re.escape(str(f))}(?![\w])", output) for f in facts)


def _summary(path: str, result: TypeCheckResult | RuffResult | TestResult, output: str) -> str:
    path = "the project" if path == "." else path
    if isinstance(result, TestResult):
        counts = f"{result.failed} failed and {result.passed} passed in {path}"
        items = [
            f"{t.name} ({t.file}:{t.line})"
            for t in result.tests
            if t.outcome in ("failed", "error") and _said(output, t.name, t.line)
        ]
        if not (result.failed or result.errors) and _said(output, result.passed):
            return f"All {result.passed} tests in {path} pass."
    elif isinstance(result, TypeCheckResult):
        counts = f"ty finds {result.error_count} errors in {path}"
        items = [
            f"{e.file}:{e.line} {e.code}" for e in result.errors if _said(output, e.code, e.line)
        ]
    else:
        counts = (
            f"ruff reports {result.violation_count} violations in {path}, "
            f"{result.fixable_count} fixable"
        )
        fixable_only = not _said(output, result.violation_count)
        items = [
            f"{v.file}:{v.line} {v.code}"
            for v in result.violations
            if _said(output, v.code, v.line) and (v.fixable or not fixable_only)
        ]
    numbers = re.findall(r"\d+", counts)
    head = counts if _said(output, *numbers) else ""
    tail = ("; ".join(items)) if items else ""
    return ": ".join(part for part in (head, tail) if part) + ("." if head or tail else "")


def split_of(question: str, seed: int) -> str:
    """train, valid or test, by the question's text: one question never lands in two."""
    digest = hashlib.sha256(f"{seed}:{question.strip().lower()}".encode()).digest()[0]
    return "test" if digest < 26 else "valid" if digest < 52 else "train"


def examples(count: int, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """About count examples over all splits (tool examples executed, kept only if they ran),
    by split name."""
    rng = random.Random(seed)
    pool = candidates()
    rng.shuffle(pool)
    tool_runs = int(count * (1 - DIRECT_SHARE) / (1 + FINAL_ANSWER_SHARE))
    ran = execute(pool[:tool_runs])
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "valid": [], "test": []}
    for candidate, result in ran.items():
        part = splits[split_of(candidate.question, seed)]
        call = prompt.tool_call(candidate.code)
        part.append(_example(prompt.messages(candidate.question), call, candidate.category))
        if rng.random() < FINAL_ANSWER_SHARE:
            turns = prompt.messages(candidate.question, candidate.code, result.output)
            answer = final_answer(result.output, result.results)
            part.append(_example(turns, answer, candidate.category))
    for item in _direct_items(count - sum(len(p) for p in splits.values()), rng):
        splits[split_of(item["question"], seed)].append(
            _example(prompt.messages(item["question"]), item["answer"], "direct")
        )
    for part in splits.values():
        rng.shuffle(part)
    return splits


def _direct_items(count: int, rng: random.Random) -> list[dict[str, str]]:
    """count direct examples: the reviewed answers, each also asked in lower case without
    its question mark (how people type into an editor), repeated to fill the share."""
    variants = [*DIRECT, *({**d, "question": d["question"].lower().rstrip("?")} for d in DIRECT)]
    return [rng.choice(variants) for _ in range(max(count, 0))]


def _example(turns: list[dict[str, str]], answer: str, category: str) -> dict[str, Any]:
    return {"messages": [*turns, {"role": "assistant", "content": answer}], "category": category}


def reply_vocabulary(data: list[dict[str, Any]]) -> list[str]:
    """The distinct tool-call replies of a dataset, in order. Shipped beside the adapter as
    replies.json, they are what the model host drafts from (model/lookup.py)."""
    replies = (turn["content"] for example in data for turn in example["messages"])
    return list(dict.fromkeys(r for r in replies if r.startswith("<tool_call>")))


def write(out: Path, count: int, seed: int) -> dict[str, Any]:
    """Write train/valid/test.jsonl, replies.json and manifest.json (what is in each split)."""
    splits = examples(count, seed)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in splits.items():
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for example in part:
                f.write(json.dumps(example) + "\n")
    replies = reply_vocabulary(splits["train"])
    (out / "replies.json").write_text(json.dumps(replies, indent=0) + "\n", encoding="utf-8")
    manifest = {
        "count": count,
        "seed": seed,
        "splits": {
            name: dict(Counter(e["category"] for e in part)) for name, part in splits.items()
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="write executed Code Mode training data")
    add_arguments(parser)
    run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1200, help="examples in all splits")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(write(args.out, args.count, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    main()
