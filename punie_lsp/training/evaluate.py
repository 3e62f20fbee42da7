"""Executable evaluation: held-out questions through the real `ask` path, scored strictly.

A question passes only if the reply is the right kind (tool or direct), a tool reply calls
the expected tool(s), its code runs in the sandbox without error, and what it printed holds
every expected fact (regular expressions over the printed output: counts, lines, codes, test
names). Reply text is never scored on its own for tool questions. Direct answers are scored
on kind, and on a keyword-level content check (the weak part, said so in the report).

Suites, reported apart, the out-of-distribution ones first:
- generated (the headline): projects drawn by training/projects.py from held-out seeds and a
  held-out word list, asked about in eval_phrasings.json's wording by training/questions.py,
  with facts read from what the real tools report on each project (never from the
  generator's intent); reported per fault kind too;
- vendored: a real package, pytest-dev/apipkg, under tests/fixtures with faults put in
  (tests/fixtures/apipkg.json), asked about the same way;
- eval_heldout.json (split "heldout"): a project no training data comes from
  (examples/mdquill: tests in testing/, nested packages, names unlike the training data's),
  in a user's and the editor's own wording;
- eval_docs.json (split "docs"): rules to explain, general Python questions and questions
  nothing documents, scored on words of the documentation itself (the rule's text, the
  passage's) or on the answer's saying it found nothing;
- eval_questions.json (split "trained"): held-out questions about the projects the training
  data is generated from, which measures recall of those projects as much as anything.
The hand-written questions were written apart from training/templates.py, against the
fixture projects in examples/ (each question names its project as `root`), whose facts
tests/test_fixture_facts.py checks.

Every snippet is also audited (`snippet_problems`) for a tool, field or path that does not
exist: the count the grammar (agent/grammar.py) is there to keep at zero; and every direct
answer that is not conversation for whether a documentation tool grounded it (`ungrounded`):
the count agent/grounding.py is there to keep at zero.

    uv run punie-lsp eval [--model DIR] [--adapter DIR|none] [--questions FILE] [--limit N]
                          [--generated N] [--json FILE] [--no-grammar] [--no-grounding]

direct_unseen.json holds direct questions on topics that training/direct.json does not
teach, scored the same way and reported apart: how the tuned model does on Python knowledge
it must bring from its base weights.
"""

import argparse
import ast
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from punie_lsp.agent.grounding import is_conversation
from punie_lsp.agent.loop import Answer, Generate, ask
from punie_lsp.agent.policy import SAFE_BUILTINS
from punie_lsp.agent.reads import unreadable
from punie_lsp.tools.registry import NAMES
from punie_lsp.tools.registry import TOOLS as TOOLS_LIST
from punie_lsp.training import projects
from punie_lsp.training.facts import facts
from punie_lsp.training.questions import questions

QUESTIONS = Path(__file__).parent / "eval_questions.json"
HELDOUT = Path(__file__).parent / "eval_heldout.json"
DOCS = Path(__file__).parent / "eval_docs.json"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
VENDORED = "apipkg"
GENERATED = "generated/"  # a question's root: generated/<split>-<seed>
GENERATED_COUNT = 12  # held-out projects the evaluation asks about by default
TOOLS = set(NAMES)
PATH_TOOLS = {tool.name for tool in TOOLS_LIST if tool.argument in ("path", "file")}


@dataclass
class Score:
    question: str
    category: str
    passed: bool
    kind_ok: bool
    tool_ok: bool
    ran_ok: bool
    facts_ok: bool
    missing: list[str] = field(default_factory=list)
    reply: str = ""
    output: str = ""
    seconds: float = 0.0
    generation_tokens: int = 0
    split: str = "trained"
    problems: list[str] = field(default_factory=list)  # missing tools, fields, paths
    generation_seconds: float = 0.0
    ungrounded: bool = False  # a direct answer, not conversation, that no document backs
    faults: list[str] = field(default_factory=list)  # kinds of fault behind the facts


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def called_tools(code: str | None) -> set[str]:
    """The typed tools a snippet calls, read from its syntax tree (not its text)."""
    if not code:
        return set()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return names & TOOLS


def snippet_problems(code: str | None, root: Path) -> list[str]:
    """What a snippet names that does not exist: a function that is neither a tool nor a
    builtin, an attribute the result it reads does not have (agent/reads.py), a path
    argument not in the workspace. Read from its syntax tree; an unparsable snippet is one
    problem."""
    if not code:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"syntax error: {exc.msg}"]
    problems = []
    callable_names = TOOLS | set(SAFE_BUILTINS) | {"print"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in callable_names:
                problems.append(f"no tool or builtin {name}")
            elif name in PATH_TOOLS and node.args and isinstance(node.args[0], ast.Constant):
                path = str(node.args[0].value)
                if not (root / path).exists():
                    problems.append(f"no path {path}")
    return problems + unreadable(code)


# The documentation tools: they take a rule or a question, not a path.
GROUNDING_TOOLS = {tool.name for tool in TOOLS_LIST if tool.argument in ("rule", "query")}


def ungrounded(answer: Answer) -> bool:
    """A direct answer stating something no documentation tool gave: model prose."""
    if answer.kind != "direct" or not answer.answer or is_conversation(answer.question):
        return False
    return not any(run.tool in GROUNDING_TOOLS for run in answer.results)


def root_of(item: dict[str, Any]) -> Path:
    """The project a question is about (direct questions: any; sample): a fixture project of
    examples/, a generated one (materialized on first use) or a vendored one."""
    root = item.get("root", "sample")
    if root.startswith(GENERATED):
        return projects.materialize(*projects.seed_of(root.removeprefix(GENERATED)))
    if root == f"fixtures/{VENDORED}":
        return FIXTURES / VENDORED
    return EXAMPLES / root


def generated_questions(count: int, split: str = "heldout") -> list[dict[str, Any]]:
    """Questions about the first `count` generated projects of a split."""
    items = []
    for seed in range(count):
        root = projects.materialize(seed, split)
        manifest = projects.manifest(root)
        label = f"{GENERATED}{split}-{seed}"
        items += questions(root, manifest["facts"], manifest["faults"], label, "generated", seed)
    return items


def vendored_questions() -> list[dict[str, Any]]:
    """Questions about the vendored package, its facts taken from the tools now."""
    root = FIXTURES / VENDORED
    manifest = json.loads((FIXTURES / f"{VENDORED}.json").read_text(encoding="utf-8"))
    return questions(root, facts(root), manifest["faults"], f"fixtures/{VENDORED}", "vendored", 0)


def score(item: dict[str, Any], answer: Answer, seconds: float = 0.0) -> Score:
    wanted = item["tool"]
    wanted_tools = set(wanted if isinstance(wanted, list) else [wanted] if wanted else [])
    kind_ok = answer.kind == item["kind"]
    if item["kind"] == "tool":
        tool_ok = kind_ok and wanted_tools <= called_tools(answer.code)
        ran_ok = kind_ok and answer.error is None
        checked = answer.output or ""
    else:
        tool_ok = ran_ok = kind_ok
        checked = answer.answer
    missing = [fact for fact in item["facts"] if not re.search(fact, checked, re.IGNORECASE)]
    facts_ok = kind_ok and not missing and bool(checked.strip())
    problems = snippet_problems(answer.code, root_of(item))
    return Score(
        question=item["question"],
        category=item["category"],
        # A snippet naming what does not exist fails even where its output happens to hold
        # the facts (a missing path's "0 errors").
        passed=kind_ok and tool_ok and ran_ok and facts_ok and not problems,
        kind_ok=kind_ok,
        tool_ok=tool_ok,
        ran_ok=ran_ok,
        facts_ok=facts_ok,
        missing=missing,
        reply=answer.reply,
        output=checked,
        seconds=seconds,
        generation_tokens=answer.timings.generation_tokens,
        generation_seconds=answer.timings.generation,
        split=item.get("split", "trained"),
        problems=problems,
        ungrounded=ungrounded(answer),
        faults=item.get("faults", []),
    )


def evaluate(
    generate: Generate,
    items: Iterable[dict[str, Any]],
    progress: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] = lambda x: x,
    constrain: bool = True,
    grounded: bool = True,
) -> list[Score]:
    scores = []
    for item in progress(list(items)):
        start = time.perf_counter()
        root = root_of(item)
        answer = ask(item["question"], root, generate, constrain=constrain, grounded=grounded)
        scores.append(score(item, answer, time.perf_counter() - start))
    return scores


SPLITS = {
    "generated": "Generated projects (held-out seeds and word lists, no training data from them)",
    "vendored": f"A real package (pytest-dev/{VENDORED}, vendored with faults put in)",
    "heldout": "Held-out project (examples/mdquill, no training data from it)",
    "docs": "Documentation questions (rules, Python, nothing to find; examples/mdquill)",
    "trained": "Trained projects (held-out questions about the projects the data comes from)",
}


def report(scores: list[Score], wall: float) -> str:
    """Per split, the held-out project first: per category, strict, and the audit's count."""
    lines: list[str] = []
    for split, title in SPLITS.items():
        if items := [s for s in scores if s.split == split]:
            lines += [f"{title}:", "", *_table(items), ""]
            if split == "generated":
                lines += ["Per fault kind:", "", *_by_fault(items), ""]
    tokens = sum(s.generation_tokens for s in scores)
    seconds = sum(s.generation_seconds for s in scores)
    lines.append(f"wall time {wall:.0f} s, generation {tokens / max(seconds, 1e-9):.1f} tokens/s")
    failures = [s for s in scores if not s.passed]
    if failures:
        lines += ["", "Failures:"]
        for s in failures:
            lines.append(
                f"- [{s.split}] {s.question!r}: missing {s.missing}; problems {s.problems};"
                f" reply {s.reply[:300]!r}; answer {s.output[:200]!r}"
            )
    return "\n".join(lines)


def _table(scores: list[Score]) -> list[str]:
    by_category: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        by_category[s.category].append(s)
    lines = ["| category | passed | kind | tool | ran | facts |", "|---|---|---|---|---|---|"]
    for name, items in [*sorted(by_category.items()), ("all", scores)]:
        n = len(items)
        lines.append(
            f"| {name} | {sum(s.passed for s in items)}/{n} | {sum(s.kind_ok for s in items)}/{n}"
            f" | {sum(s.tool_ok for s in items)}/{n} | {sum(s.ran_ok for s in items)}/{n}"
            f" | {sum(s.facts_ok for s in items)}/{n} |"
        )
    passed = sum(s.passed for s in scores)
    invalid = sum(bool(s.problems) for s in scores)
    lines += [
        "",
        f"strict: {passed}/{len(scores)} ({100 * passed / max(len(scores), 1):.0f} %), "
        f"tool-or-direct: {sum(s.kind_ok for s in scores)}/{len(scores)}, "
        f"snippets naming a missing tool, field or path: {invalid}, "
        f"direct answers no document backs: {sum(s.ungrounded for s in scores)}",
    ]
    return lines


def _by_fault(scores: list[Score]) -> list[str]:
    """Strict score per kind of fault behind a question's facts ("clean": none)."""
    by_kind: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        for kind in s.faults:
            by_kind[kind].append(s)
    lines = ["| fault kind | passed |", "|---|---|"]
    for kind, items in sorted(by_kind.items()):
        lines.append(f"| {kind} | {sum(s.passed for s in items)}/{len(items)} |")
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="a model folder (default: embedded)")
    parser.add_argument("--adapter", default=None, help="an adapter folder, or 'none'")
    parser.add_argument(
        "--questions", type=Path, default=None, help="a question file (default: both suites)"
    )
    parser.add_argument(
        "--no-grammar", dest="grammar", action="store_false",
        help="decode without the workspace grammar (to measure what it changes)",
    )  # fmt: skip
    parser.add_argument(
        "--no-grounding", dest="grounded", action="store_false",
        help="keep the model's own direct answers (to measure what grounding changes)",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument(
        "--suites", default=",".join(SPLITS),
        help=f"which suites, comma-separated (default: all of {','.join(SPLITS)})",
    )  # fmt: skip
    parser.add_argument(
        "--generated", type=int, default=GENERATED_COUNT,
        help="held-out generated projects to ask about (0: none)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write every score here")


def suite_questions(args: argparse.Namespace) -> list[dict[str, Any]]:
    files = {"heldout": HELDOUT, "docs": DOCS, "trained": QUESTIONS}
    items = []
    for suite in args.suites.split(","):
        if suite == "generated":
            items += generated_questions(args.generated)
        elif suite == "vendored":
            items += vendored_questions()
        else:
            items += load_questions(files[suite])
    return items


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from punie_lsp.model.host import ModelSpec, make_host

    host = make_host(ModelSpec(model=args.model, adapter=args.adapter)).start()
    host.wait_loaded()
    items = load_questions(args.questions) if args.questions else suite_questions(args)
    items = items[: args.limit]
    start = time.perf_counter()
    scores = evaluate(
        host.generate, items, lambda x: tqdm(x, desc="evaluating"),
        constrain=args.grammar, grounded=args.grounded,
    )  # fmt: skip
    wall = time.perf_counter() - start
    host.stop()
    print(f"model: {host.description}")
    print(report(scores, wall))
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=2))
    return 0 if all(s.passed for s in scores) else 1


def main() -> None:
    from punie_lsp.model.host import exit_without_teardown

    parser = argparse.ArgumentParser(description="executable evaluation of the model")
    add_arguments(parser)
    args = parser.parse_args()
    exit_without_teardown(run(args))


if __name__ == "__main__":
    main()
