"""`punie-lsp ask`: the whole Code Mode pipeline from the terminal."""

import argparse
import sys
import textwrap

from punie_lsp.agent import sandbox
from punie_lsp.agent.loop import Answer, ask
from punie_lsp.model.generation import ModelError
from punie_lsp.model.host import ModelSpec, make_host


def run(args: argparse.Namespace) -> int:
    if not args.root.is_dir():
        print(f"punie-lsp: no such folder: {args.root}", file=sys.stderr)
        return 2
    host = make_host(
        ModelSpec(model=args.model, adapter=args.adapter),
        on_status=lambda message: print(f"punie-lsp: {message}...", file=sys.stderr),
    ).start()
    sandbox.prestart(args.root)  # its imports overlap the model's loading
    try:
        host.wait_loaded()
    except ModelError as exc:
        print(f"punie-lsp: {exc}", file=sys.stderr)
        return 2
    answer = ask(
        args.question,
        args.root,
        host.generate,
        final_answer=args.final_answer,
        max_tokens=args.max_tokens,
    )
    answer.timings.load = host.load_seconds
    host.stop()
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(render(answer, host.description))
    return 1 if answer.error else 0


def render(answer: Answer, model: str) -> str:
    t = answer.timings
    lines = [f"question: {answer.question}", f"model: {model}", f"kind: {answer.kind}"]
    if answer.code is not None:
        lines += ["code:", textwrap.indent(answer.code, "    ")]
        lines += ["output:", textwrap.indent(answer.output or "(nothing printed)", "    ")]
    if answer.error:
        lines.append(f"error: {answer.error}")
    lines.append(f"answer: {answer.answer}")
    lines.append(
        f"timings: load {t.load:.1f} s, prompt {t.prompt:.2f} s, generation {t.generation:.2f} s,"
        f" tool {t.tool:.2f} s; {t.prompt_tokens} prompt tokens ({t.cached_tokens} cached),"
        f" {t.generation_tokens} generated"
        + (f"; {t.blas_threads} BLAS thread{'s' * (t.blas_threads > 1)}" if t.blas_threads else "")
    )
    return "\n".join(lines)
