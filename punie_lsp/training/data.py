"""Code Mode training data: executed examples, split with no question shared between splits.

Every tool example is an idiom of training/templates.py filled with a real path of a project
generated from a training seed (training/projects.py: many layouts and names, faults of every
kind), or with no path where the question names none; checked against the sandbox policy and
the typed results' field names, and run in the sandbox; only snippets that run are kept. The
hand-written projects of examples/ are the evaluation's only, never trained on. A kept
run gives two examples: the question answered with the tool call, and (for a share of them)
the same conversation continued with the real output as the `<tool_response>` turn and a
final answer built from the typed results, so it states true facts. mlx-lm's `--mask-prompt`
trains only the last assistant turn of an example, hence two examples rather than one long
one.
Fix examples are the catalogue's faults asked as the editor's "fix this" action asks, answered
with the catalogue's repair, kept where the product would verify and offer it
(training/fixes.py). Direct answers come from training/direct.json (reviewed by hand).
Everything goes through agent.prompt, the formatter serving uses.

    uv run punie-lsp data OUT_DIR [--count 4000] [--seed 0] [--projects 200]
"""

import argparse
import functools
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

from punie_lsp import prompt
from punie_lsp.agent import policy
from punie_lsp.agent.reads import unreadable
from punie_lsp.agent.results import SandboxResult, ToolRun
from punie_lsp.agent.sandbox import run_code
from punie_lsp.model import replies
from punie_lsp.tools import registry
from punie_lsp.training import fixes, projects
from punie_lsp.training.evaluate import load_questions
from punie_lsp.training.templates import INTENTS, Intent, surface_forms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECTS = 200  # generated training projects, seeds 0..PROJECTS-1 of the "train" split
DIRECT: list[dict[str, str]] = json.loads(
    (Path(__file__).parent / "direct.json").read_text(encoding="utf-8")
)
FINAL_ANSWER_SHARE = 0.25  # of tool runs that also teach the final answer
DIRECT_SHARE = 0.2
WHOLE_SHARE = 0.3  # of an intent's questions that name no path, where it has such phrasings
# How often each intent is drawn: the broad idioms most, the rare questions least.
WEIGHTS = {
    "tests": 3.0,
    "tests.conditional": 1.5,
    "tests.counts": 1.5,
    "types": 3.0,
    "types.conditional": 1.5,
    "types.counts": 1.5,
    "lint": 3.0,
    "lint.conditional": 1.5,
    "lint.counts": 1.5,
    "read.definitions": 1.5,
    "read.imports": 0.6,
    "read.length": 0.5,
    "read.whole": 0.6,
    "types+lint": 1.5,
    "health": 1.5,
    "types+source": 0.7,
}


@dataclass(frozen=True)
class Candidate:
    question: str
    code: str
    project: str  # a generated training project: "train-<seed>"
    category: str


class UnknownField(ValueError):
    pass


def check_fields(code: str) -> None:
    """Raise UnknownField if the snippet reads an attribute the result it reads does not
    have (agent/reads.py): what does not exist must not be taught."""
    if problems := unreadable(code):
        raise UnknownField("; ".join(problems))


def project_root(name: str) -> Path:
    """Where a training project lives: "train-12" is generated seed 12, materialized into the
    cache on first use."""
    return projects.materialize(*projects.seed_of(name))


@functools.cache  # one draw per project and process, not one per kind of question
def project_files(name: str) -> dict[str, str]:
    """A training project's files as the generator writes them (no tool run: the questions
    need its paths and test names, only the snippets' runs need it on disk)."""
    return projects.render(*projects.seed_of(name))


def project_paths(files: dict[str, str]) -> dict[str, list[str]]:
    """The paths of a project that a question may name, by kind."""
    sources, tests, folders, packages = projects.layout(files)
    source_roots = ["src"] if any(p.startswith("src/") for p in files) else []
    return {
        "tests": [*folders, *tests],
        "source": sources,
        "file": sources + tests,
        "any": [*source_roots, *packages, *folders, *sources, *tests],
    }


def project_names(files: dict[str, str]) -> dict[str, list[str]]:
    """What a question may name instead of a path: the package and the test functions."""
    _, tests, _, packages = projects.layout(files)
    names = sorted(
        name for path in tests for name in re.findall(r"^def (test_\w+)", files[path], re.M)
    )
    top = sorted({p.removeprefix("src/") for p in packages if "/" not in p.removeprefix("src/")})
    return {"project": top, "test": names}


def all_projects(count: int = PROJECTS) -> tuple[str, ...]:
    return tuple(f"train-{seed}" for seed in range(count))


def candidates(projects: Iterable[str] | None = None) -> list[Candidate]:
    """Every (question, snippet, project) the intents can make, before surface forms."""
    return [
        c
        for project in projects or all_projects()
        for intent in INTENTS
        for part in _fill(intent, project)
        for c in part
    ]


def _fill(intent: Intent, project: str) -> tuple[list[Candidate], list[Candidate]]:
    """An intent's questions about one project: those that name a path, and those that
    name none (the whole project, the package or a test function)."""
    files = project_files(project)
    paths, names = project_paths(files), project_names(files)

    def make(question: str, path: str) -> Candidate:
        return Candidate(question, intent.code.replace("{path}", path), project, intent.category)

    named = [
        make(phrasing.replace("{path}", written), written)
        for path in paths[intent.paths]
        for written in _written(path)
        for phrasing in intent.phrasings
    ]
    whole = [
        Candidate(
            phrasing.replace("{project}", package).replace("{test}", test),
            intent.code.replace('"{path}"', ""),
            project,
            intent.category,
        )
        for phrasing in intent.whole
        for package in (names["project"] if "{project}" in phrasing else [""])
        for test in (names["test"] if "{test}" in phrasing else [""])
    ]
    return named, whole


def _written(path: str) -> tuple[str, ...]:
    """A path as a question writes it: a folder with its trailing slash, which is how the
    grammar (agent/grammar.py) tells a folder from the word "tests"."""
    return (path,) if path.endswith(".py") else (f"{path}/",)


@functools.cache
def trained_questions(count: int = PROJECTS) -> frozenset[str]:
    """Every question text the generator can emit over `count` projects (a superset: direct
    questions in every surface form, though only two of them are used)."""
    tools = {form for c in candidates(all_projects(count)) for form in surface_forms(c.question)}
    direct = {form for item in DIRECT for form in surface_forms(item["question"])}
    return frozenset(tools | direct)


def execute(chosen: list[Candidate], workers: int = 4) -> dict[Candidate, SandboxResult]:
    """Run each distinct snippet once per project; keep the results of those that ran."""
    from tqdm import tqdm

    for candidate in chosen:
        policy.check(candidate.code)  # never teach code the sandbox refuses
        check_fields(candidate.code)
    runs = sorted({(c.code, c.project) for c in chosen})
    roots = {name: project_root(name) for name in {c.project for c in chosen}}
    with ThreadPoolExecutor(workers) as pool:
        results = list(
            tqdm(
                pool.map(lambda run: run_code(run[0], roots[run[1]]), runs),
                total=len(runs),
                desc="running snippets",
            )
        )
    ran = dict(zip(runs, results, strict=True))
    return {c: ran[(c.code, c.project)] for c in chosen if ran[(c.code, c.project)].error is None}


def verified_fixes(names: Iterable[str], workers: int = 2) -> list[fixes.FixCase]:
    """The fix cases of the projects whose repair the product would offer (training/fixes.py),
    each run and verified as the "fix this" action does."""
    from tqdm import tqdm

    found = fixes.cases(list(names))
    with ThreadPoolExecutor(workers) as pool:
        outcomes = list(
            tqdm(pool.map(fixes.replay, found), total=len(found), desc="verifying fixes")
        )
    return [case for case, outcome in zip(found, outcomes, strict=True) if outcome.offered]


def final_answer(output: str, results: list[ToolRun]) -> str:
    """The facts of a run in a sentence per tool call, from the typed results, saying only
    what the snippet printed: a model taught to state facts its tool response does not show
    learns to make them up."""
    sentences = [_summary(run, output) for run in results]
    said = [s for s in sentences if s]
    return "\n".join(said) if said else "Here is what it shows:\n" + output.strip()


def _said(output: str, *facts: object) -> bool:
    return all(re.search(rf"(?<![\w.]){re.escape(str(f))}(?![\w])", output) for f in facts)


def _summary(run: ToolRun, output: str) -> str:
    """The counts the tool's wording gives (tools/models.py: Wording), where the snippet
    printed their numbers, then each finding it printed (its code and line). Where findings
    could be fixed and the count was not printed, the question was about the fixable ones."""
    result, found = run.typed(), run.findings()
    path = "the project" if run.path == "." else run.path
    values = {**result.model_dump(), "path": path}
    wording = registry.tool(run.tool).wording
    clean_numbers = _numbers(wording.clean or "", {**values, "path": ""})
    if not found and wording.clean and _said(output, *clean_numbers):
        return wording.clean.format(**values)
    counts = wording.counts.format(**values)
    fixable_only = any(f.fixable for f in found) and not _said(output, *_numbers(counts)[:1])
    items = [
        f.text(f.wording.item)
        for f in found
        if _said(output, f.code, f.line) and (f.fixable or not fixable_only)
    ]
    head = counts if _said(output, *_numbers(counts)) else ""
    tail = ("; ".join(items)) if items else ""
    return ": ".join(part for part in (head, tail) if part) + ("." if head or tail else "")


def _numbers(template: str, values: dict[str, object] | None = None) -> list[str]:
    text = template.format(**values) if values is not None else template
    return re.findall(r"\d+", text)


def split_of(question: str, seed: int) -> str:
    """train, valid or test, by the question's text: one question never lands in two."""
    digest = hashlib.sha256(f"{seed}:{question.strip().lower()}".encode()).digest()[0]
    return "test" if digest < 26 else "valid" if digest < 52 else "train"


def examples(
    count: int, seed: int = 0, projects: int = PROJECTS
) -> dict[str, list[dict[str, Any]]]:
    """About count examples over all splits (tool examples executed, kept only if they ran)
    about the first `projects` generated training projects, by split name."""
    rng = random.Random(seed)
    tool_runs = int(count * (1 - DIRECT_SHARE) / (1 + FINAL_ANSWER_SHARE))
    ran = execute(sample(tool_runs, rng, all_projects(projects)))
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "valid": [], "test": []}
    for candidate, result in ran.items():
        part = splits[split_of(candidate.question, seed)]
        call = prompt.tool_call(candidate.code)
        part.append(_example(prompt.messages(candidate.question), call, candidate.category))
        if rng.random() < FINAL_ANSWER_SHARE:
            turns = prompt.messages(candidate.question, candidate.code, result.output)
            answer = final_answer(result.output, result.results)
            part.append(_example(turns, answer, candidate.category))
    for case in verified_fixes(all_projects(projects)):
        question = case.question()
        splits[split_of(question, seed)].append(
            _example(prompt.messages(question), case.reply(), "fix")
        )
    # The direct share is kept whatever else filled the count (the fix cases are all taken).
    direct = max(count - sum(len(p) for p in splits.values()), round(count * DIRECT_SHARE))
    for item in _direct_items(direct, rng):
        splits[split_of(item["question"], seed)].append(
            _example(prompt.messages(item["question"]), item["answer"], "direct")
        )
    for part in splits.values():
        rng.shuffle(part)
    return splits


def sample(size: int, rng: random.Random, names: tuple[str, ...]) -> list[Candidate]:
    """size distinct candidates: an intent drawn by WEIGHTS, then (WHOLE_SHARE of the time,
    where it has them) a question naming no path, then any of its filled phrasings, in one of
    its surface forms. Questions of the evaluation are left out, word for word."""
    by_intent: dict[str, tuple[list[Candidate], list[Candidate]]] = {}
    for intent in INTENTS:
        filled = [_fill(intent, project) for project in names]
        by_intent[intent.name] = (
            [c for named, _ in filled for c in named],
            [c for _, whole in filled for c in whole],
        )
    held_out = {question_words(item["question"]) for item in load_questions()}
    intents = list(WEIGHTS)
    chosen: dict[tuple[str, str], Candidate] = {}
    for _ in range(size * 20):  # bounded: a small pool may have fewer than size questions
        if len(chosen) >= size:
            break
        named, whole = by_intent[rng.choices(intents, weights=[WEIGHTS[n] for n in intents])[0]]
        pool = whole if whole and (not named or rng.random() < WHOLE_SHARE) else named
        base = rng.choice(pool)
        question = rng.choice(surface_forms(base.question))
        if question_words(question) in held_out:
            continue
        chosen.setdefault(
            (question, base.project), Candidate(question, base.code, base.project, base.category)
        )
    return list(chosen.values())


def question_words(question: str) -> str:
    """A question as its words: "Is src/ledger/ clean?" and "is src/ledger clean" are one."""
    return re.sub(r"[^a-z0-9 ]", "", question.lower().replace("/ ", " "))


def _direct_items(count: int, rng: random.Random) -> list[dict[str, str]]:
    """count direct examples: the reviewed answers, each also asked in lower case without
    its question mark (how people type into an editor), repeated to fill the share."""
    variants = [*DIRECT, *({**d, "question": d["question"].lower().rstrip("?")} for d in DIRECT)]
    return [rng.choice(variants) for _ in range(max(count, 0))]


def _example(turns: list[dict[str, str]], answer: str, category: str) -> dict[str, Any]:
    return {"messages": [*turns, {"role": "assistant", "content": answer}], "category": category}


def reply_vocabulary(data: list[dict[str, Any]]) -> list[str]:
    """The distinct tool-call replies of a dataset, in order."""
    return replies.from_examples(data).calls()


def write(out: Path, count: int, seed: int, projects: int = PROJECTS) -> dict[str, Any]:
    """Write train/valid/test.jsonl, replies.json and manifest.json (what is in each split)."""
    splits = examples(count, seed, projects)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in splits.items():
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for example in part:
                f.write(json.dumps(example) + "\n")
    replies.write(out / "replies.json", replies.from_examples(splits["train"]))
    manifest = {
        "count": count,
        "seed": seed,
        "projects": projects,
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
    parser.add_argument("--count", type=int, default=4000, help="examples in all splits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--projects", type=int, default=PROJECTS, help="generated training projects to ask about"
    )


def run(args: argparse.Namespace) -> int:
    print(json.dumps(write(args.out, args.count, args.seed, args.projects), indent=2))
    return 0


if __name__ == "__main__":
    main()
