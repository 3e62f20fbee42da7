"""python_docs: passages of Python's own documentation that answer a question, never memory.

The passages come from what ships with the interpreter (the language reference's topics in
`pydoc_data.topics`, the docstrings of the builtins and of common standard-library modules)
and from punie's reviewed answers (training/direct.json). They are indexed once into the
cache with SQLite's FTS5 and ranked by bm25. A passage is returned only when it covers most
of the question's weight (its rare words above all): a question the documentation does not
answer gets no passages, and the answer says so instead of inventing one.
"""

import contextlib
import functools
import hashlib
import importlib
import inspect
import json
import keyword
import math
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from punie_lsp.cache import cache_dir
from punie_lsp.tools.models import DocsResult, Passage, Wording
from punie_lsp.tools.outcome import reports_tool_errors
from punie_lsp.tools.process import ToolError

REVIEWED = Path(__file__).resolve().parents[1] / "training" / "direct.json"
REVIEWED_SOURCE = "punie's reviewed answers (training/direct.json)"
# Where the wall lets the sandbox read the index built outside it (agent/wall.py).
INDEX_VARIABLE = "PUNIE_DOCS_INDEX"

# The standard library modules whose docstrings are indexed: those a question about everyday
# Python names. Importing each is the price of indexing it, paid once per cache.
MODULES = (
    "abc", "argparse", "asyncio", "base64", "bisect", "collections", "collections.abc",
    "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal", "enum", "fnmatch",
    "fractions", "functools", "glob", "hashlib", "heapq", "io", "itertools", "json",
    "logging", "math", "operator", "os", "os.path", "pathlib", "pickle", "pprint", "random",
    "re", "shutil", "statistics", "string", "subprocess", "sys", "tempfile", "textwrap",
    "threading", "time", "timeit", "typing", "unittest", "uuid", "warnings", "zipfile",
)  # fmt: skip

# Words that say nothing about the topic of a question.
_STOP_WORDS = """
    a about all also am an and any are as at be been but by can could did do does doing
    done explain for from get give got has have how i if in into is it its itself let me
    mean means meaning my of on or please python s should show so some tell than that
    the their them then there these this those to use used uses using want was way we
    what when where which who why will with work works would you your
    difference differences differ between versus vs compare one two given whether every
    keep keeping while best good quick quickly easy easily correct correctly right proper
    properly example examples keyword keywords statement statements clause like
"""
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[A-Za-z0-9]+")
MAX_PASSAGE = 900  # characters of a passage kept in the index and the result
COVERAGE = 0.7  # of the question's idf weight a passage must contain
CANDIDATES = 40


def index_file() -> Path:
    """Where the index is: named for what it is built from (this module included), so a new
    Python, new reviewed answers or a new way of cutting passages build a new one."""
    given = os.environ.get(INDEX_VARIABLE)
    return Path(given) if given else cache_dir("docs") / f"index-{_digest()}.sqlite"


@functools.cache  # asked at every sandbox worker's start (agent/wall.py): read the files once
def _digest() -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version} {' '.join(MODULES)}".encode())
    digest.update(REVIEWED.read_bytes() if REVIEWED.is_file() else b"")
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def ensure_index() -> Path:
    """The index file, built first if it is not there yet (written aside, then renamed, so a
    reader never sees half of one)."""
    path = index_file()
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(partial)) as db:
        _build(db)
    partial.replace(path)
    return path


def _connect() -> sqlite3.Connection:
    path = index_file()
    if path.is_file():
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return sqlite3.connect(f"{ensure_index().as_uri()}?mode=ro", uri=True)
    except OSError:  # nowhere to keep it (a read-only cache): built for this call only
        db = sqlite3.connect(":memory:")
        _build(db)
        return db


def _build(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE VIRTUAL TABLE passages USING fts5("
        "title, text, source UNINDEXED, tokenize = 'porter unicode61')"
    )
    db.executemany("INSERT INTO passages VALUES (?, ?, ?)", _passages())
    db.commit()


def _passages() -> Iterator[tuple[str, str, str]]:
    yield from _reviewed()
    yield from _topics()
    yield from _docstrings()


def _reviewed() -> Iterator[tuple[str, str, str]]:
    if not REVIEWED.is_file():
        return
    for entry in json.loads(REVIEWED.read_text(encoding="utf-8")):
        yield entry["question"], entry["answer"], REVIEWED_SOURCE


def _topics() -> Iterator[tuple[str, str, str]]:
    from pydoc_data.topics import topics

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for key, text in topics.items():
        heading, _, body = text.partition("\n")
        heading = heading.strip()
        source = f"Python {version} language reference: {heading} (pydoc topic {key!r})"
        # The heading titles the opening passage only, the one that defines the topic; the
        # rest are found by their own words.
        for number, part in enumerate(_chunks(body.lstrip("*\n"))):
            yield heading if number == 0 else "", part, source


def _chunks(text: str) -> Iterator[str]:
    """text cut at blank lines into passages of at most MAX_PASSAGE characters."""
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip("\n")
        if not paragraph.strip():
            continue
        if current and len(current) + len(paragraph) + 2 > MAX_PASSAGE:
            yield current
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph[:MAX_PASSAGE]
    if current:
        yield current


def _docstrings() -> Iterator[tuple[str, str, str]]:
    import builtins

    yield from _members("builtins", builtins, prefix="")
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        doc = inspect.getdoc(module)
        if doc:
            yield name, _first(doc), f"docstring of the {name} module"
        yield from _members(name, module, prefix=f"{name}.")


def _members(module_name: str, module: object, prefix: str) -> Iterator[tuple[str, str, str]]:
    public = getattr(module, "__all__", None) or [n for n in dir(module) if n[:1] != "_"]
    for name in public:
        value = getattr(module, name, None)
        if inspect.ismodule(value) or value is None:
            continue
        owner = getattr(value, "__module__", module_name)
        defined_here = (module_name, getattr(module, "__name__", module_name), None)
        if prefix and owner not in defined_here and not str(owner).startswith("_"):
            continue  # imported from elsewhere: indexed where it is defined
        doc = inspect.getdoc(value)
        if doc and (prefix or inspect.isclass(value) or callable(value)):
            yield f"{prefix}{name}", _first(doc), f"docstring of {prefix}{name}"
        if inspect.isclass(value):
            for member, attribute in vars(value).items():
                inner = inspect.getdoc(attribute) if not member.startswith("_") else None
                if inner and inner != doc:
                    title = f"{prefix}{name}.{member}"
                    yield title, _first(inner), f"docstring of {title}"


def _first(doc: str) -> str:
    return next(_chunks(doc), doc[:MAX_PASSAGE])


# A keyword that is also an English word ("with", "for", "is") is a topic where the question
# marks it as code: quoted, or followed by statement, keyword, clause, operator or loop. After
# a keyword that word counts too, as the reference's own ("with statement": the section, not
# every "with"; "nonlocal keyword": the "nonlocal" statement).
_AS_CODE = re.compile(
    r"[`'\"](\w+)[`'\"]|\b(\w+) +(statement|keyword|clause|operator|loop|block)s?\b",
    re.IGNORECASE,
)


def terms(question: str) -> list[str]:
    """The question's words that can say what it is about, in order, once each."""
    code: dict[str, None] = {}  # ordered, so the same question makes the same query
    for match in _AS_CODE.finditer(question):
        quoted, word, frame = match.groups()
        code[(quoted or word).lower()] = None
        if word and keyword.iskeyword(word.lower()):
            frame = frame.lower()
            code["statement" if frame in ("keyword", "clause") else frame] = None
    words = [w.lower() for w in _WORD.findall(question)]
    words += [w for w in code if w not in words]  # "statement" for a "keyword"
    wanted = (w for w in words if (w not in _STOP or w in code) and len(w) > 1)
    return list(dict.fromkeys(wanted))


@reports_tool_errors(DocsResult)
def python_docs(
    query: str | Path | None,
    *,
    cwd: str | Path | None = None,
    timeout: float = 30.0,
    limit: int = 5,
) -> DocsResult:
    """The passages of Python's documentation and punie's reviewed answers that answer query,
    best first; none when nothing covers it."""
    question = str(query or "").strip()
    words = terms(question)
    if not words:
        raise ToolError(f"{question!r} names nothing to look up")
    with contextlib.closing(_connect()) as db:
        total = db.execute("SELECT count(*) FROM passages").fetchone()[0]
        weight = {w: _idf(total, _count(db, _phrase(w))) for w in words}
        rows = db.execute(
            "SELECT rowid, title, text, source, bm25(passages, 10.0, 1.0) FROM passages"
            " WHERE passages MATCH ? ORDER BY bm25(passages, 10.0, 1.0) LIMIT ?",
            (" OR ".join(_phrase(w) for w in words), CANDIDATES),
        ).fetchall()
        if not rows:
            return DocsResult(success=True, query=question)
        ids = ",".join(str(row[0]) for row in rows)
        covered: dict[int, float] = dict.fromkeys((row[0] for row in rows), 0.0)
        titled: dict[int, float] = dict.fromkeys((row[0] for row in rows), 0.0)
        for word in words:
            for where, scores in (("", covered), ("title : ", titled)):
                for (rowid,) in db.execute(
                    f"SELECT rowid FROM passages WHERE passages MATCH ? AND rowid IN ({ids})",
                    (where + _phrase(word),),
                ):
                    scores[rowid] += weight[word]
    whole = sum(weight.values())
    named = {" ".join(words), ".".join(words)}  # "set", "str.zfill": the object itself
    # The documented object the question names first, then those that cover more of the
    # question, then those whose title does; bm25 orders the rest.
    kept = sorted(
        (row for row in rows if covered[row[0]] / whole >= COVERAGE),
        key=lambda row: (
            row[1].lower() not in named,
            -round(covered[row[0]] / whole, 2),
            -round(titled[row[0]] / whole, 2),
            row[4],
        ),
    )
    passages = [
        Passage(title=title, text=text, source=source, score=round(-score, 3))
        for _, title, text, source, score in kept
    ]
    return DocsResult(success=True, query=question, found=bool(passages), passages=passages[:limit])


def _phrase(word: str) -> str:
    return f'"{word}"'


def _count(db: sqlite3.Connection, match: str) -> int:
    return db.execute("SELECT count(*) FROM passages WHERE passages MATCH ?", (match,)).fetchone()[
        0
    ]


def _idf(total: int, found: int) -> float:
    """bm25's idf: a word no passage has weighs most."""
    return math.log((total - found + 0.5) / (found + 0.5) + 1.0)


WORDING = Wording(counts="passages about {query}")


def summary(result: DocsResult) -> str:
    if not result.success:
        return "no search"
    return f"{len(result.passages)} passages" if result.found else "nothing found"
