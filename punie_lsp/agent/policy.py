"""What a Code Mode snippet may contain, checked on its syntax tree before it runs.

The snippet gets a handful of safe builtins and the typed tools, and nothing else. Python has
many ways from any object back to the interpreter's internals (`().__class__.__base__
.__subclasses__()`, a generator's `gi_frame.f_globals`, `"{0.__class__}".format(x)`), so the
rule is simple and strict: no imports, no name or attribute that starts with an underscore, no
frame or code attributes, no `format` (it reads attributes by name from a string), no classes,
and no access to the introspection builtins (they are not in scope either). The worker
process and its limits are the second wall; this check is the first and gives clear errors.
"""

import ast

MAX_CODE_CHARS = 20_000

# The builtins a snippet has (besides print, which writes into its output).
SAFE_BUILTINS = [
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "frozenset", "int",
    "isinstance", "len", "list", "map", "max", "min", "next", "range", "repr", "reversed",
    "round", "set", "sorted", "str", "sum", "tuple", "zip", "True", "False", "None",
    "Exception", "ValueError", "KeyError", "IndexError", "TypeError", "ZeroDivisionError",
    "RuntimeError", "StopIteration", "AssertionError", "AttributeError",
]  # fmt: skip

# Attributes that reach frames, code objects or globals without an underscore.
FORBIDDEN_ATTRIBUTES = {
    "format",
    "format_map",
    "gi_frame",
    "gi_code",
    "gi_yieldfrom",
    "ag_frame",
    "ag_code",
    "cr_frame",
    "cr_code",
    "cr_await",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "f_code",
    "tb_frame",
    "tb_next",
    "co_code",
    "func_globals",
    "mro",
}

# Builtins a snippet must not name even if someone put them in scope.
_FORBIDDEN_NAMES = {
    "eval",
    "exec",
    "compile",
    "open",
    "input",
    "breakpoint",
    "globals",
    "locals",
    "vars",
    "dir",
    "getattr",
    "setattr",
    "delattr",
    "hasattr",
    "type",
    "object",
    "super",
    "memoryview",
    "help",
    "exit",
    "quit",
    "classmethod",
    "staticmethod",
    "property",
}

_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.AsyncWith: "async code is not allowed",
}


class PolicyError(Exception):
    """The snippet uses something it may not; the message says what and where."""


def describe(exc: SyntaxError | PolicyError) -> str:
    """The error a refused or unparsable snippet reports, the same wherever it is caught."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    return f"refused: {exc}"


def check(code: str) -> ast.Module:
    """Parse and check a snippet; raises PolicyError (or SyntaxError) naming the problem."""
    if len(code) > MAX_CODE_CHARS:
        raise PolicyError(f"the code is longer than {MAX_CODE_CHARS} characters")
    if not _encodable(code):
        raise PolicyError("the code holds a lone surrogate: it is not valid text")
    try:
        tree = ast.parse(code, mode="exec")
    except (RecursionError, MemoryError):  # the parser's stack, on deep nesting
        raise PolicyError("the code is nested too deeply") from None
    for node in ast.walk(tree):
        problem = _problem(node)
        if problem:
            line = getattr(node, "lineno", "?")
            raise PolicyError(f"line {line}: {problem}")
    return tree


def _encodable(code: str) -> bool:
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem(node: ast.AST) -> str | None:
    for kind, message in _FORBIDDEN_NODES.items():
        if isinstance(node, kind):
            return message
    if isinstance(node, ast.Attribute):
        return _name_problem(node.attr, "attribute")
    if isinstance(node, ast.Name):
        if node.id in _FORBIDDEN_NAMES:
            return f"{node.id}() is not available"
        return _name_problem(node.id, "name")
    if isinstance(node, ast.FunctionDef | ast.Lambda):
        names = [a.arg for a in _arguments(node.args)]
        if isinstance(node, ast.FunctionDef):
            names.append(node.name)
        for name in names:
            if problem := _name_problem(name, "name"):
                return problem
    if isinstance(node, ast.keyword) and node.arg is not None:
        return _name_problem(node.arg, "keyword")
    if isinstance(node, ast.alias | ast.ExceptHandler) and getattr(node, "name", None):
        return _name_problem(str(getattr(node, "name", "")), "name")
    if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
        return _name_problem(node.name, "name")
    if isinstance(node, ast.MatchClass):
        return "class patterns are not allowed"
    return None


def _name_problem(name: str, what: str) -> str | None:
    if name.startswith("_"):
        return f"{what} {name!r}: names starting with an underscore are not allowed"
    if what == "attribute" and name in FORBIDDEN_ATTRIBUTES:
        return f"attribute {name!r} is not allowed"
    return None


def _arguments(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found += [a for a in (args.vararg, args.kwarg) if a is not None]
    return found
