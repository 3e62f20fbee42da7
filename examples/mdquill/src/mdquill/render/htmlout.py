from mdquill.parsing.tokenz import Tokn, tokenize


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def render_token(tok: Tokn) -> str:
    return f"<{tok.kind}>{escape(tok.text)}</{tok.kind}>"


def to_html(source: str) -> str:
    return "\n".join(render_token(t) for t in tokenize(source))


def word_total(source: str) -> int:
    return sum(len(t.txt.split()) for t in tokenize(source))
