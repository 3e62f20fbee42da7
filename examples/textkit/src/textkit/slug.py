"""URL slugs and line wrapping."""
import os, sys


def slugify(title: str, limit: int = 40) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in title.lower())
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return cleaned.strip("-")[:limit]


def wrap(text: str, width: int = 20) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return lines


def initials(name: str) -> str:
    return "".join(part[0] for part in name.split()).upper()


def shout(text: str) -> str:
    return text.upper() + 1
