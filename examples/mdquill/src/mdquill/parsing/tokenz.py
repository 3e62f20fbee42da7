import re
from dataclasses import dataclass
import os


@dataclass
class Tokn:
    kind: str
    text: str


HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def tokenize(source: str) -> list[Tokn]:
    out = []
    for raw in source.splitlines():
        found = HEADING.match(raw)
        if found:
            out.append(Tokn("h" + str(len(found.group(1))), found.group(2)))
        elif raw.strip():
            out.append(Tokn("p", raw.strip()))
    return out


def heading_level(tok: Tokn) -> int:
    return int(tok.kind[1:]) if tok.kind.startswith("h") else None


def is_heading(tok: Tokn) -> bool:
    if tok.kind.startswith("h"):
        return True
    else:
        return False
