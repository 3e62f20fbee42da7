"""How many faults get a verified fix offered, by fault kind, on projects no training data
came from: the held-out generated projects and the vendored package.

For every fault the catalogue put in, where the real ty or ruff reports its rule in the
faulted file:
- ruff's own fixes: a safe one (ruff offers it unasked), or an unsafe one, offered only
  once verified (server/unsafe_fixes.py does the same in the editor);
- the model's: the "fix this" action on the diagnostic's line (agent/fixing.py), offered
  only once verified;
and, for every fix that would be offered, a check wider than the verification's: ty, ruff and
the whole test suite on a copy of the project with the edit made, against the faulted
project's own facts. Anything that got worse there is counted (the target is zero). A failing
test's fault is asked about on the failing test whose code under test (agent/under_test.py)
holds the faulted file, as the editor's action on that test's finding asks; its fix is
verified by the test passing.

    uv run punie-lsp eval-fixes [--projects 40] [--model DIR] [--adapter DIR|none]
                                [--no-model] [--json FILE]
"""

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from punie_lsp.agent.fixing import TESTS, FixRequest, fix
from punie_lsp.agent.verify import verify_ruff_fix
from punie_lsp.model.generation import GenerateRequest, Generation, ModelError
from punie_lsp.tools.models import RuffResult
from punie_lsp.training import projects
from punie_lsp.training.evaluate import FIXTURES, VENDORED
from punie_lsp.training.facts import facts
from punie_lsp.training.fixes import FIXED_BY, failing_for, one_line_repair, reported

Generate = Callable[[GenerateRequest], Generation]
PROJECTS = 40  # held-out generated projects by default


@dataclass
class FaultScore:
    project: str
    fault: str  # the catalogue's id
    tool: str
    rule: str
    file: str
    line: int | None = None  # where the tool reports the rule; None: not reported
    one_line: bool = False  # the catalogue's repair is one line at that line
    ruff_safe: bool = False  # ruff has a safe fix of its own
    unsafe_offered: bool | None = None  # None: ruff has no unsafe fix for it
    model_offered: bool | None = None  # None: the model was not asked
    model_repaired: bool = False  # the offered edit is the catalogue's repair
    model_reason: str | None = None
    model_reply: str = ""
    worse: list[str] = field(default_factory=list)  # what an offered fix made worse
    seconds: float = 0.0


def faults(count: int) -> list[tuple[str, Path, dict[str, Any], dict[str, Any]]]:
    """(name, root, fault, the faulted project's facts) for the held-out generated projects
    and the vendored package."""
    found = []
    for seed in range(count):
        root = projects.materialize(seed, "heldout")
        manifest = projects.manifest(root)
        found += [(f"heldout-{seed}", root, f, manifest["facts"]) for f in manifest["faults"]]
    vendored = FIXTURES / VENDORED
    spec = json.loads((FIXTURES / f"{VENDORED}.json").read_text(encoding="utf-8"))
    vendored_facts = facts(vendored)
    found += [(VENDORED, vendored, f, vendored_facts) for f in spec["faults"]]
    return found


def score(
    name: str, root: Path, fault: dict[str, Any], known: dict[str, Any], generate: Generate | None
) -> FaultScore:
    start = time.perf_counter()
    found = FaultScore(name, fault["id"], fault["tool"], fault["rule"], fault["file"])
    if fault["tool"] == TESTS:
        return _score_test(found, root, fault, known, generate, start)
    if fault["tool"] not in FIXED_BY:
        return found
    path, text = fault["file"], (root / fault["file"]).read_text(encoding="utf-8")
    result, findings = reported(root, path, fault["tool"], fault["rule"])
    if not findings:
        return found
    finding = findings[0]
    found.line = finding.line
    repair = one_line_repair(text, fault["repaired"])
    found.one_line = repair is not None and repair[0] == finding.line
    if isinstance(result, RuffResult):
        violation = next(v for v in result.violations if v.code == fault["rule"])
        if violation.fix is not None and violation.fix.applicability == "safe":
            found.ruff_safe = True
        elif violation.fix is not None:
            after, checked = verify_ruff_fix(root, root / path, text, violation)
            found.unsafe_offered = checked.fixes
            if found.unsafe_offered:
                found.worse += worse(root, path, after, known)
    if generate is not None:
        request = FixRequest(
            path=path, line=finding.line, source=fault["tool"], code=fault["rule"],
            message=finding.message,
        )  # fmt: skip
        _ask_model(found, request, root, fault, known, generate)
    found.seconds = time.perf_counter() - start
    return found


def _score_test(
    found: FaultScore,
    root: Path,
    fault: dict[str, Any],
    known: dict[str, Any],
    generate: Generate | None,
    start: float,
) -> FaultScore:
    """A failing test's fault: the model asked to fix the test that fails because of it."""
    located = failing_for(root, fault["file"], known)
    if located is None:  # no failing test calls the faulted file's code
        return found
    request, failing = located
    found.line = request.line
    text = (root / fault["file"]).read_text(encoding="utf-8")
    repair = one_line_repair(text, fault["repaired"])
    found.one_line = repair is not None and (fault["file"], repair[0]) in failing.sites()
    if generate is not None:
        _ask_model(found, request, root, fault, known, generate)
    found.seconds = time.perf_counter() - start
    return found


def _ask_model(
    found: FaultScore,
    request: FixRequest,
    root: Path,
    fault: dict[str, Any],
    known: dict[str, Any],
    generate: Generate,
) -> None:
    """The model's fix for request, as the editor's action asks it, scored into found; an
    offered one is checked on the whole project."""
    try:
        outcome = fix(request, root, generate)
    except ModelError as exc:  # one failed generation is one fault not fixed, not the run
        found.model_offered, found.model_reason = False, f"the model failed: {exc}"
        return
    found.model_offered, found.model_reason = outcome.offered, outcome.reason
    found.model_reply = outcome.reply
    if outcome.after is not None and outcome.proposal is not None:
        edited = outcome.proposal.path  # a failing test's fix may be in another file
        found.model_repaired = edited == fault["file"] and outcome.after == fault["repaired"]
        found.worse += worse(root, edited, outcome.after, known)


def worse(root: Path, path: str, after: str, known: dict[str, Any]) -> list[str]:
    """What the whole project's ty, ruff and tests find worse with path's text as after: a
    rule reported more often in a file, or a test that passed and no longer does."""
    with tempfile.TemporaryDirectory(prefix="punie-fix-") as tmp:
        copy = Path(tmp) / root.name
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
        (copy / path).write_text(after, encoding="utf-8")
        now = facts(copy)
    found = []
    for tool in ("typecheck", "ruff"):
        before, counts = _by_rule(known[tool]["diagnostics"]), _by_rule(now[tool]["diagnostics"])
        found += [f"{tool}: {key}" for key, n in counts.items() if n > before[key]]
    passing = set(now["pytest"]["passed"])
    found += [f"test {name} no longer passes" for name in known["pytest"]["passed"]
              if name not in passing]  # fmt: skip
    return found


def _by_rule(diagnostics: Iterable[str]) -> Counter[str]:
    """`file:line [severity] code [fixable]` strings counted by file and code (lines move
    with an edit)."""
    counts: Counter[str] = Counter()
    for diagnostic in diagnostics:
        words = diagnostic.removesuffix(" fixable").split()
        counts[f"{words[0].rsplit(':', 1)[0]} {words[-1]}"] += 1
    return counts


def kind_of(fault: str) -> str:
    """A fault's kind: its catalogue id without a variant suffix past tool.rule."""
    return ".".join(fault.split(".")[:2])


def report(scores: list[FaultScore], with_model: bool) -> str:
    by_kind: dict[str, list[FaultScore]] = defaultdict(list)
    for s in scores:
        by_kind[kind_of(s.fault)].append(s)
    head = "| fault kind | faults | reported | ruff safe | unsafe verified | model verified |"
    lines = [head, "|---|---|---|---|---|---|"]
    for kind, items in sorted(by_kind.items()):
        lines.append(_row(kind, items, with_model))
    lines.append(_row("**all**", scores, with_model))
    offered = [s for s in scores if s.unsafe_offered or s.model_offered]
    made_worse = [s for s in offered if s.worse]
    asked = [s for s in scores if s.model_offered is not None]
    lines += [
        "",
        f"faults: {len(scores)} on {len({s.project for s in scores})} projects; "
        f"fixes offered: {len(offered)}; offered fixes that made anything worse in a "
        f"whole-project run: {len(made_worse)}",
    ]
    if with_model and asked:
        repaired = sum(s.model_repaired for s in asked)
        median = sorted(s.seconds for s in asked)[len(asked) // 2]
        offered_by_model = sum(bool(s.model_offered) for s in asked)
        lines.append(
            f"model: asked {len(asked)}, verified and offered {offered_by_model}"
            f" ({repaired} the catalogue's own repair); median {median:.1f} s per fault"
        )
        reasons = Counter((s.model_reason or "").split(":")[0] for s in asked if s.model_reason)
        lines += [f"- not offered, {n}: {reason}" for reason, n in reasons.most_common()]
    for s in made_worse:
        lines.append(f"- WORSE {s.project} {s.fault}: {'; '.join(s.worse)}")
    return "\n".join(lines)


def _row(kind: str, items: list[FaultScore], with_model: bool) -> str:
    reported = [s for s in items if s.line is not None]
    unsafe = [s for s in reported if s.unsafe_offered is not None]
    model = f"{sum(bool(s.model_offered) for s in reported)}/{len(reported)}" if with_model else "-"
    return (
        f"| {kind} | {len(items)} | {len(reported)} | {sum(s.ruff_safe for s in reported)} | "
        f"{sum(bool(s.unsafe_offered) for s in unsafe)}/{len(unsafe)} | {model} |"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--projects", type=int, default=PROJECTS, help="held-out projects")
    parser.add_argument("--model", default=None, help="a model folder (default: embedded)")
    parser.add_argument("--adapter", default=None, help="an adapter folder, or 'none'")
    parser.add_argument(
        "--no-model", dest="with_model", action="store_false", help="ruff's fixes only"
    )
    parser.add_argument("--json", type=Path, default=None, help="write every score here")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    host = None
    if args.with_model:
        from punie_lsp.model.host import ModelSpec, make_host

        host = make_host(ModelSpec(model=args.model, adapter=args.adapter)).start()
        host.wait_loaded()
    generate = host.generate if host is not None else None
    every = faults(args.projects)
    scores = [score(*item, generate) for item in tqdm(every, desc="fixing faults")]
    if host is not None:
        host.stop()
        print(f"model: {host.description}")
    print(report(scores, args.with_model))
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=2))
    return 0
