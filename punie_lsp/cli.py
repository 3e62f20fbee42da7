"""The `punie-lsp` command: argument parsing only; the work lives in the modules it calls."""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from punie_lsp import __version__, report
from punie_lsp.tools import registry
from punie_lsp.tools.paths import project_root

_TOOLS = registry.commands()  # the typed tools by command name: typecheck, ruff, pytest
_TESTS = "pytest"  # what --no-tests leaves out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args)
    if args.command == "tool":
        return _tool(args)
    if args.command == "data":
        from punie_lsp.training import data

        return data.run(args)
    if args.command == "projects":
        from punie_lsp.training import projects

        return projects.run(args)
    if args.command == "sweep":
        from punie_lsp.training import sweep

        return sweep.run(args)
    try:
        if args.command == "ask":
            from punie_lsp.ask import run  # mlx is only needed here

            code = run(args)
        elif args.command == "train":
            from punie_lsp.training import train

            code = train.run(args)
        elif args.command == "eval":
            from punie_lsp.training import evaluate

            code = evaluate.run(args)
        elif args.command == "eval-fixes":
            from punie_lsp.training import fix_eval

            code = fix_eval.run(args)
        elif args.command == "serve-model":
            from punie_lsp.model import serve

            code = serve.run(args)
        else:
            code = _serve(args)
    except SystemExit as exc:  # pygls ends the server this way on `exit`
        code = exc.code if isinstance(exc.code, int) else 1
    if argv is None:
        from punie_lsp.model.host import exit_without_teardown

        exit_without_teardown(code)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="punie-lsp", description="A Python language server with ruff, ty and a local model."
    )
    parser.add_argument("--version", action="version", version=f"punie-lsp {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="speak LSP over stdio (the default)")
    _add_log_options(serve)
    _add_log_options(parser)  # so a bare `punie-lsp --log-file F` also serves

    check = sub.add_parser("check", help="ty, ruff and pytest findings for a path")
    check.add_argument("path", nargs="?", default=".")
    check.add_argument("--json", action="store_true", help="print the typed results as JSON")
    check.add_argument("--no-tests", action="store_true", help="skip pytest")

    ask = sub.add_parser("ask", help="answer a question about a project with the local model")
    ask.add_argument("question")
    ask.add_argument("--root", type=Path, default=Path("."), help="the project (default: .)")
    ask.add_argument(
        "--model",
        default=None,
        help="an mlx-lm model folder, a Hugging Face id, or an OpenAI-compatible URL[#model]",
    )
    ask.add_argument("--adapter", default=None, help="a LoRA adapter folder, or 'none'")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("--final-answer", action="store_true", help="let the model sum up")
    ask.add_argument("--max-tokens", type=int, default=256)

    tool = sub.add_parser("tool", help="run one typed tool and print its result")
    tool.add_argument("name", choices=sorted(_TOOLS))
    tool.add_argument("path", nargs="?", default=".")
    tool.add_argument("--json", action="store_true", help="print the pydantic model as JSON")
    from punie_lsp.model import serve
    from punie_lsp.training import data, evaluate, fix_eval, projects, sweep, train

    serve.add_arguments(
        sub.add_parser("serve-model", help="serve the model to a team over HTTP (mlx_lm.server)")
    )

    projects.add_arguments(
        sub.add_parser("projects", help="generate projects with faults, and their tools' facts")
    )
    data.add_arguments(sub.add_parser("data", help="write executed Code Mode training data"))
    train.add_arguments(sub.add_parser("train", help="LoRA-tune the model (then fuse, quantize)"))
    evaluate.add_arguments(sub.add_parser("eval", help="score the model on held-out questions"))
    fix_eval.add_arguments(
        sub.add_parser("eval-fixes", help="verified fixes offered per fault kind, held out")
    )
    sweep.add_arguments(
        sub.add_parser("sweep", help="out-of-distribution accuracy against training projects")
    )
    return parser


def _add_log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-file", type=Path, default=None, help="where the server logs")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    # vscode-languageclient (TransportKind.stdio) and other clients pass --stdio: it is the
    # only transport, so the flag is accepted and changes nothing.
    parser.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)


def _serve(args: argparse.Namespace) -> int:
    from punie_lsp.server.app import serve  # pygls is only needed here

    serve(log_file=args.log_file, log_level=args.log_level)
    return 0


def _missing(path: Path) -> bool:
    if path.exists():
        return False
    print(f"punie-lsp: no such file or folder: {path}", file=sys.stderr)
    return True


def _check(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if _missing(path):
        return 2
    names = [name for name in _TOOLS if not (args.no_tests and name == _TESTS)]
    results = {name: _TOOLS[name].function(path) for name in names}
    if args.json:
        print(json.dumps({name: r.model_dump() for name, r in results.items()}, indent=2))
    else:
        print(report.render(list(results.values()), base=_base(path)))
    return _exit_code(list(results.values()))


def _tool(args: argparse.Namespace) -> int:
    if _missing(Path(args.path)):
        return 2
    result = _TOOLS[args.name].function(Path(args.path))
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(report.render([result], base=_base(Path(args.path))))
    return _exit_code([result])


def _base(path: Path) -> str:
    """The project's folder as the user would type it, to prefix reported files with.

    Relative when it lies under the current folder, absolute otherwise ("../../x" helps nobody).
    """
    root = project_root(path).resolve()
    return os.path.relpath(root) if root.is_relative_to(Path.cwd()) else str(root)


def _exit_code(results: list[Any]) -> int:
    """2 when a tool could not run, 1 when it found problems, 0 when all is clean."""
    if any(r.parse_error for r in results):
        return 2
    return 0 if all(r.success for r in results) else 1
