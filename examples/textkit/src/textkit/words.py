"""Counting and picking words."""
import re
from collections import Counter


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def top(text: str, n: int = 3) -> list[str]:
    return [word for word, _ in Counter(words(text)).most_common(n)]


def longest(text: str) -> str:
    return max(words(text), key=len, default=None)


def count(text: str) -> int:
    return len(words(text))
