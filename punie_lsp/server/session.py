"""What every handler reads of the server's state: settings, client capabilities, codec.

Owned by the server, replaced (never mutated) as a whole field at a time: the settings when
the client's configuration changes, the capabilities and codec once at `initialize`.
"""

from dataclasses import dataclass, field
from pathlib import Path

from pygls.workspace import PositionCodec

from punie_lsp.server.capabilities import ClientCapabilities
from punie_lsp.server.settings import Settings


@dataclass
class Session:
    settings: Settings = field(default_factory=Settings)
    capabilities: ClientCapabilities = field(default_factory=ClientCapabilities)
    codec: PositionCodec = field(default_factory=PositionCodec)
    root: Path = field(default_factory=lambda: Path(".").resolve())  # the workspace folder
