"""Code actions: the providers, and what every one of them is given.

A provider is a module with `KINDS` (the code action kinds it offers), `actions(context)`
and, when it offers actions whose edit is computed later, `resolve(action, context)`. A new
family of actions is one new module added to PROVIDERS.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lsprotocol import types

from punie_lsp.server.diagnostics import Snapshot
from punie_lsp.server.session import Session

if TYPE_CHECKING:
    from punie_lsp.server.unsafe_fixes import VerifiedFix


@dataclass(frozen=True)
class ActionContext:
    snap: Snapshot
    range: types.Range
    diagnostics: Sequence[types.Diagnostic]
    only: Sequence[str] | None  # the kinds the client asked for; None: all
    session: Session
    model_on: bool  # a model is configured (loading or loaded)
    verified_fixes: "Sequence[VerifiedFix]" = ()  # ruff's unsafe fixes shown to be harmless

    @property
    def root(self) -> Path:
        return self.session.root

    def wants(self, kind: str) -> bool:
        return wanted(kind, self.only)


class Provider(Protocol):
    KINDS: list[str]

    def actions(self, context: ActionContext) -> list[types.CodeAction]: ...


class Resolver(Protocol):
    KINDS: list[str]

    def resolve(self, action: types.CodeAction, context: ActionContext) -> types.CodeAction: ...


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for `source.fixAll` includes `source.fixAll.ruff`."""
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


def edit(snap: Snapshot, edits: list[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    """A versioned edit where the client takes one (it refuses it if the buffer moved on)."""
    return document_edit(snap.uri, snap.version, edits, versioned)


def document_edit(
    uri: str, version: int | None, edits: list[types.TextEdit], versioned: bool
) -> types.WorkspaceEdit:
    """An edit of one document; version None: a file the editor has not opened."""
    if not versioned:
        return types.WorkspaceEdit(changes={uri: list(edits)})
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                edits=list(edits),
            )
        ]
    )
