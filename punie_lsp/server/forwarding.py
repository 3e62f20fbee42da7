"""The children's own language features, forwarded: what a user of `ty server` and `ruff server`
keeps when punie-lsp runs them instead (hover, go-to, references, completion, rename, inlay
hints from ty; formatting from ruff).

One table says which child answers which request, with the options we advertise for it; the
server registers a handler per row (server/app.py). The request goes on unchanged: the child
sees the buffer's current version first and speaks our client's position encoding (both ty
and ruff accept the one the client chose), so positions need no translation.
"""

from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from punie_lsp.server.children import Child


@dataclass(frozen=True)
class Forwarded:
    method: str
    child: Child
    options: Any = None  # the registration options we advertise, as the child does


FORWARDED: tuple[Forwarded, ...] = (
    Forwarded(types.TEXT_DOCUMENT_HOVER, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_DEFINITION, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_DECLARATION, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_TYPE_DEFINITION, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_IMPLEMENTATION, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_REFERENCES, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, Child.TY),
    Forwarded(
        types.TEXT_DOCUMENT_COMPLETION, Child.TY,
        types.CompletionOptions(trigger_characters=[".", '"', "'"]),
    ),
    Forwarded(
        types.TEXT_DOCUMENT_SIGNATURE_HELP, Child.TY,
        types.SignatureHelpOptions(trigger_characters=["(", ","], retrigger_characters=[")"]),
    ),
    Forwarded(types.TEXT_DOCUMENT_INLAY_HINT, Child.TY, types.InlayHintOptions()),
    Forwarded(types.TEXT_DOCUMENT_PREPARE_RENAME, Child.TY),
    Forwarded(types.TEXT_DOCUMENT_RENAME, Child.TY, types.RenameOptions(prepare_provider=True)),
    Forwarded(types.TEXT_DOCUMENT_FORMATTING, Child.RUFF),
    Forwarded(types.TEXT_DOCUMENT_RANGE_FORMATTING, Child.RUFF),
)  # fmt: skip


def uri_of(params: Any) -> str | None:
    """The document a forwarded request is about."""
    document = getattr(params, "text_document", None)
    return getattr(document, "uri", None)
