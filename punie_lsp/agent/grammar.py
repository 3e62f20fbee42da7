"""The grammar a model's first reply is decoded under (llguidance's Lark dialect).

A reply is either a direct answer (prose with no tool call and no code fence in it) or one
`execute_code` tool call whose code is a small Python subset that:
- opens with a tool call (assigned, printed, looped over or on its own): a snippet that
  calls no tool can only print what the model remembers;
- parses (indentation is spelt out per depth, so a misindented line cannot be written);
- calls only the registered tools and the sandbox's safe builtins;
- calls a tool other than read_file only where a statement at the top level opens with it,
  and reads, after a dot, only a field of the result of the tool that opened the statements
  it is in (or of the models nested in that result), or calls a method of str, list, dict or
  set (agent/reads.py): so `result = ruff_check()` then `result.error_count` cannot be
  written;
- passes a tool a string path only when that path exists in the workspace (the files and
  folders listed when the question is asked; read_file: files only) and, where the question
  names existing paths, only those and what lies under the folders among them (a model
  copies a rare name badly, or reaches for a file it knows instead); explain_rule something
  shaped like a rule's code (whether ruff or ty has it, the tool says);
- where the question names no path at all, calls typecheck, ruff_check and pytest_run with
  no argument (neither a path nor a variable): each then checks what the project's own
  configuration selects, where a model would guess a layout (`pytest_run("tests")` in a
  project whose tests are in testing/, or `pytest_run("pyproject.toml")` where the guess
  does not exist). A bare word is not a path ("Full check: tests, types and lint" is about
  the whole project), so a folder is named with its slash ("tests/"). read_file still takes
  any file.
- where the question names a file or folder that exists, is a tool call: what a file of the
  project says is a fact about its code, and facts come from tools (the model once answered
  "What does pkg/mod.py import?" in prose from memory);
- where the question is about nothing a tool can see (agent/scope.py), is prose.

It is an allow-list: anything outside it (imports, classes, `while`, `try`) is not valid
Code Mode, and the tuned model never writes it. Names of variables are not tracked: a
variable used before it is set is still a NameError at run time, with its clear message.
"""

import builtins
import json
import keyword
import re
from collections.abc import Iterable
from pathlib import Path

from punie_lsp.agent.policy import SAFE_BUILTINS
from punie_lsp.agent.reads import METHODS
from punie_lsp.agent.scope import about_the_project
from punie_lsp.prompt import CALL_CLOSE, CALL_OPEN, paths_in
from punie_lsp.tools.paths import walk
from punie_lsp.tools.registry import TOOLS, Tool, fields_of, result_fields

# Block depth of the deepest statement (a `for` in an `if` in a `for`).
MAX_DEPTH = 3
MAX_PATHS = 5_000  # workspace entries offered as tool arguments; the walk stops there


def workspace_paths(root: Path, limit: int = MAX_PATHS) -> tuple[list[str], list[str]]:
    """The workspace's files and folders, relative and in posix form, as tools take them."""
    files: list[str] = []
    folders: list[str] = ["."]
    for folder, dirs, names in walk(root):
        base = folder.relative_to(root)
        folders += [(base / d).as_posix() for d in dirs]
        files += [(base / n).as_posix() for n in names]
        if len(files) + len(folders) > limit:
            break
    return files, folders


def _escape(text: str) -> str:
    """text as a literal inside a Lark /regex/ (its own slash included)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}/-])", r"\\\1", text)


def _alternatives(words: Iterable[str]) -> str:
    """A regex matching exactly one of words, longest first."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(" + "|".join(_escape(w) for w in ordered) + ")"


def _quoted(paths: Iterable[str]) -> str:
    """A terminal for one of paths as a string literal in either quote."""
    plain = [p for p in paths if not re.search(r"[\"'\\\n]", p)]  # a quote would need escaping
    if not plain:
        return '/"\\x00"/ & /x/'  # matches nothing
    alts = _alternatives(plain)
    return f"/\"{alts}\"/ | /'{alts}'/"


def _blocks(s: str) -> str:
    """Statements per block depth, in the segment s: each line's indentation is part of its
    newline."""
    rules = []
    for d in range(MAX_DEPTH + 1):
        nl = f'"\\n{"    " * d}"'
        rules.append(f"stmts{d}_{s}: stmt{d}_{s} ({nl} stmt{d}_{s})*")
        if d == MAX_DEPTH:
            rules.append(f"stmt{d}_{s}: simple_{s}")
            continue
        inner, nl_in = f"stmts{d + 1}_{s}", f'"\\n{"    " * (d + 1)}"'
        rules += [
            f"stmt{d}_{s}: simple_{s} | for{d}_{s} | if{d}_{s}",
            f'for{d}_{s}: "for " targets " in " expr_{s} ":" {nl_in} {inner}',
            f'if{d}_{s}: "if " expr_{s} ":" {nl_in} {inner}'
            f' ({nl} "elif " expr_{s} ":" {nl_in} {inner})*'
            f' ({nl} "else:" {nl_in} {inner})?',
        ]
    return "\n".join(rules)


# The statements and expressions of a segment ("@": its name). Tools other than read_file
# are called only where a segment opens, so what a result's fields are is always known.
_SEGMENT = """
segment@: opening@ ("\\n" stmt0@)*
opening@: targets ASSIGN value@ | value@ | "print" "(" value@ CLOSE
    | "for " targets " in " value@ ":" "\\n    " stmts1@
value@: call@ trailer@*

simple@: assign@ | augassign@ | expr@ | "pass" | "break" | "continue"
assign@: targets ASSIGN expr@
augassign@: NAME AUGASSIGN expr@
expr@: lambda@ | test@
lambda@: "lambda " NAME (COMMA NAME)* COLON expr@
test@: or_test@ | or_test@ " if " or_test@ " else " expr@
or_test@: and_test@ (" or " and_test@)*
and_test@: not_test@ (" and " not_test@)*
not_test@: "not " not_test@ | comparison@
comparison@: arith@ (COMPARE arith@)*
arith@: term@ (ADD term@)*
term@: factor@ (MULTIPLY factor@)*
factor@: "-" factor@ | primary@

primary@: atom@ trailer@*
trailer@: "[" subscript@ "]" | "." FIELD@ | "." METHOD "(" arguments@? CLOSE
subscript@: expr@ | expr@? COLON expr@?
atom@: NAME | NUMBER | STRING | fstring@ | "True" | "False" | "None"
    | FUNCTION "(" arguments@? CLOSE
    | READER "(" (FILE | reference@) CLOSE
    | "(" expr@ CLOSE | "(" expr@ COMMA (expr@ (COMMA expr@)* COMMA?)? CLOSE | "()"
    | "[" (expr@ (COMMA expr@)* COMMA?)? "]" | "[" expr@ comprehension@ "]"
    | "{" (pair@ (COMMA pair@)* COMMA?)? "}" | "{" expr@ (COMMA expr@)* COMMA? "}"
    | "{" expr@ comprehension@ "}" | "{" pair@ comprehension@ "}"
pair@: expr@ COLON expr@
reference@: NAME trailer@*
comprehension@: (" for " targets " in " or_test@ (" if " or_test@)*)+
arguments@: argument@ (COMMA argument@)* COMMA? | expr@ comprehension@
argument@: expr@ | NAME "=" expr@ | "*" primary@

fstring@: "f\\"" (FTEXT_D | BRACES | replacement@)* "\\""
    | "f'" (FTEXT_S | BRACES | replacement@)* "'"
replacement@: "{" expr@ CONVERSION? FORMAT_SPEC? "}"
"""


def _segment(tool: Tool, call: str) -> str:
    """The rules of a segment the tool opens with call (a rule's right-hand side); what
    follows a dot there is a field of its result or a method call (agent/reads.py)."""
    s, fields = tool.name, fields_of(tool.name)
    field = f"FIELD_{s.upper()}"
    rules = _SEGMENT.replace('"." FIELD@ | ', f'"." {field} | ' if fields else "")
    rules = rules.replace("@", f"_{s}")
    terminal = f"{field}: /{_alternatives(fields)}/\n" if fields else ""
    return f"{rules}\n{_blocks(s)}\ncall_{s}: {call}\n{terminal}"


def snippet_grammar(
    files: Iterable[str],
    folders: Iterable[str],
    tool_paths: Iterable[str] | None = None,
    prose: bool = True,
    call: bool = True,
) -> str:
    """The Lark grammar of a whole first reply, for a workspace with these paths; the typed
    tools take `tool_paths` (default: the files and folders), read_file the files. Without
    prose, the reply must be a tool call; without call, it must be prose."""
    assert prose or call, "a reply is prose or a call"
    files = list(files)
    folders = [*folders, *(f"{f}/" for f in folders if f != ".")]  # "tests/" names a folder too
    tool_paths = [*files, *folders] if tool_paths is None else list(tool_paths)

    functions = sorted({*SAFE_BUILTINS, "print"} - {"True", "False", "None"})
    functions = [f for f in functions if callable(getattr(builtins, f, print))]
    # A tool's argument, as it opens a segment; a variable's fields there may be any
    # result's (they were read in the segment before).
    arguments = {
        # No path to offer: no variable either (the model then writes `pytest_run(path)`),
        # nor spaces (it pads `pytest_run(   )` where it wanted a quote, and loses its way).
        "path": '"(" (PATH | argument_ref)? CLOSE' if tool_paths else '"()"',
        "file": '"(" (FILE | argument_ref) CLOSE',
        "rule": '"(" (RULE | argument_ref) CLOSE',
        "query": '"(" (STRING | argument_ref) CLOSE',
        "edit": '"(" FILE COMMA NUMBER COMMA (STRING | argument_ref) CLOSE',
    }
    segments = "".join(_segment(t, f"{_literal(t.name)} {arguments[t.argument]}") for t in TOOLS)
    reader = next(t.name for t in TOOLS if t.argument == "file")
    opened = " | ".join(f"segment_{t.name}" for t in TOOLS)
    # read_file's text opens a snippet only: later, it is read inside the segment it is in.
    more = " | ".join(f"segment_{t.name}" for t in TOOLS if t.name != reader)
    return f"""%llguidance {{}}
start: {" | ".join(["call"] * call + ["prose"] * prose)}
call: {_literal(CALL_OPEN + chr(10))} ({opened}) ("\\n" ({more}))* {_literal(chr(10) + CALL_CLOSE)}
prose: PROSE
PROSE: /(?s:.+)/ & ~/(?s:.*)(<tool_call>|```)(?s:.*)/
{segments}
targets: NAME | NAME (COMMA NAME)+
argument_ref: NAME ("." ANY_FIELD | "[" (NUMBER | STRING | NAME) "]")*

FTEXT_D: /([^"{{}}\\\\\\n]|\\\\.)+/
FTEXT_S: /([^'{{}}\\\\\\n]|\\\\.)+/
BRACES: "{{{{" | "}}}}"
CONVERSION: /![rsa]/
FORMAT_SPEC: /:[^{{}}"'\\n]*/

NAME: /[A-Za-z_][A-Za-z0-9_]*/ & ~/{_alternatives(keyword.kwlist)}/ & ~/_.*/
FUNCTION: /{_alternatives(functions)}/
READER: /{_escape(reader)}/
RULE: /"[A-Za-z][A-Za-z0-9-]*"/ | /'[A-Za-z][A-Za-z0-9-]*'/
ANY_FIELD: /{_alternatives(result_fields())}/
METHOD: /{_alternatives(METHODS)}/
PATH: {_quoted(tool_paths)}
FILE: {_quoted(files)}
STRING: /"([^"\\\\\\n]|\\\\.)*"/ | /'([^'\\\\\\n]|\\\\.)*'/
NUMBER: /[0-9]+(\\.[0-9]+)?/
ASSIGN: / *= */
AUGASSIGN: / *(\\+|-|\\*|\\/\\/|\\/|%)= */
COMPARE: / *(==|!=|<=|>=|<|>) */ | / +(in|not +in|is|is +not) +/
ADD: / *[-+] */
MULTIPLY: / *(\\*|\\/\\/|\\/|%) */
COMMA: / *, */
COLON: / *: */
CLOSE: / *\\)/
"""


def edit_call_head(path: str, line: int) -> str:
    """A propose_edit call on path's line up to its new text, spelt one way: a double-quoted
    string literal (what STRING below takes, and the training data writes)."""
    tool = next(t.name for t in TOOLS if t.argument == "edit")
    return f"{tool}({json.dumps(path, ensure_ascii=False)}, {int(line)}, "


def edit_grammar(*sites: tuple[str, int, str]) -> str:
    """The grammar of the reply to a "fix this" question: one propose_edit call on one of the
    sites (file, line, that line's indentation), written out in full up to the new text,
    which keeps the line's indentation or is "" (the line deleted). So the model chooses
    among the sites and writes the new code, nothing else: a small model copies indentation
    badly, and a replaced line at another depth breaks its block. A diagnostic of ty or ruff
    has one site, its own line; a failing test has the lines of the code it calls
    (agent/under_test.py)."""
    assert sites, "an edit needs a site"
    heads = []
    for path, line, indent in sites:
        head = _literal(f"{CALL_OPEN}\n{edit_call_head(path, line)}")
        opened = _literal(json.dumps(indent, ensure_ascii=False)[:-1])  # the string, opened
        heads.append(f"{head} ({_literal(chr(34) * 2)} | {opened} TEXT)")
    return f"""%llguidance {{}}
start: edit {_literal(")" + chr(10) + CALL_CLOSE)}
edit: {" | ".join(heads)}
TEXT: /([^"\\\\\\n \\t]|\\\\.)([^"\\\\\\n]|\\\\.)*"/
"""


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def reply_grammar(root: Path, question: str | None = None) -> str:
    """The grammar for question about the workspace at root, its paths listed now (with no
    question: every path, for any tool)."""
    if question is None:
        return snippet_grammar(*workspace_paths(root))
    files, folders = workspace_paths(root)
    # A question that names a file or folder of this project asks about its code, and what
    # the code says comes from a tool: the model may not answer it from memory.
    named_files, named_folders = existing_named(question, files, folders)
    if named_files or named_folders:
        offered = named_paths(named_files, named_folders, files, folders)
        return snippet_grammar(*offered, prose=False)
    # One about nothing a tool can see gets no tool call (agent/scope.py).
    call = about_the_project(question, [*files, *folders])
    if not paths_in(question):
        return snippet_grammar(files, folders, [], call=call)  # the tools' own defaults only
    return snippet_grammar(files, folders, call=call)


def existing_named(
    question: str, files: list[str], folders: list[str]
) -> tuple[list[str], list[str]]:
    """The files and the folders question names that exist."""
    known_files, known_folders = set(files), set(folders)
    named = [p.removeprefix("./").rstrip("/") or "." for p in paths_in(question)]
    return [p for p in named if p in known_files], [p for p in named if p in known_folders]


def named_paths(
    named_files: list[str], named_folders: list[str], files: list[str], folders: list[str]
) -> tuple[list[str], list[str]]:
    """The files and folders a snippet may name where the question names these existing
    ones: those and what lies under the folders (all, where it names the root)."""
    if "." in named_folders:
        return files, folders

    def under(path: str) -> bool:
        return any(path == f or path.startswith(f"{f}/") for f in named_folders)

    return (
        [f for f in files if f in named_files or under(f)],
        [f for f in folders if under(f)],
    )
