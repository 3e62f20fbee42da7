"""What the client can do, resolved once from its `initialize` capabilities.

As ruff_server's `ResolvedClientCapabilities`: one frozen object read everywhere, instead of
walking the optional tree of lsprotocol types at every use.
"""

from dataclasses import dataclass
from typing import Any

from lsprotocol import types


@dataclass(frozen=True)
class ClientCapabilities:
    pull_diagnostics: bool = False  # textDocument/diagnostic: no pushes then
    diagnostic_refresh: bool = False  # workspace/diagnostic/refresh
    configuration: bool = False  # workspace/configuration
    work_done_progress: bool = False
    versioned_edits: bool = False  # WorkspaceEdit.documentChanges
    resolves_edits: bool = False  # codeAction/resolve may fill in `edit`
    llm_tags: bool = False  # CodeActionTag.LlmGenerated
    punie_status: bool = False  # experimental.punieStatus: the punie/status notification

    @classmethod
    def resolve(cls, caps: types.ClientCapabilities) -> "ClientCapabilities":
        text = caps.text_document
        action = text.code_action if text is not None else None
        tags = action.tag_support if action is not None else None
        resolve = action.resolve_support if action is not None else None
        experimental = caps.experimental
        return cls(
            pull_diagnostics=text is not None and text.diagnostic is not None,
            diagnostic_refresh=_can(caps, "workspace", "diagnostics", "refresh_support"),
            configuration=_can(caps, "workspace", "configuration"),
            work_done_progress=_can(caps, "window", "work_done_progress"),
            versioned_edits=_can(caps, "workspace", "workspace_edit", "document_changes"),
            resolves_edits=resolve is not None and "edit" in resolve.properties,
            llm_tags=tags is not None and types.CodeActionTag.LlmGenerated in tags.value_set,
            punie_status=isinstance(experimental, dict) and experimental.get("punieStatus") is True,
        )


def _can(caps: types.ClientCapabilities, *path: str) -> bool:
    node: Any = caps
    for name in path:
        node = getattr(node, name, None)
        if node is None:
            return False
    return bool(node)
