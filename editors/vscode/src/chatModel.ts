// The shapes of VS Code's language model provider API (finalized in 1.104), declared here so
// that the extension still runs on the older VS Code its engine allows; and the pure parts of
// punie's chat model. Pure: unit-tested.
import type { CancellationToken, Progress } from "vscode";

export interface ChatModelInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
  /** Listed in the Chat view's model picker (not yet in the typed API, honoured since 1.104). */
  readonly isUserSelectable?: boolean;
}

/** A message the chat sends (`LanguageModelChatRequestMessage`): role 1 is the user's. */
export interface ChatRequestMessage {
  readonly role: number;
  readonly content: ReadonlyArray<unknown>;
}

export interface ChatModelProvider {
  provideLanguageModelChatInformation(
    options: { readonly silent: boolean },
    token: CancellationToken,
  ): ChatModelInformation[];
  provideLanguageModelChatResponse(
    model: ChatModelInformation,
    messages: readonly ChatRequestMessage[],
    options: unknown,
    progress: Progress<unknown>,
    token: CancellationToken,
  ): Promise<void>;
  provideTokenCount(
    model: ChatModelInformation,
    text: string | ChatRequestMessage,
    token: CancellationToken,
  ): Promise<number>;
}

export interface LanguageModels {
  registerLanguageModelChatProvider?: (vendor: string, provider: ChatModelProvider) => { dispose(): void };
}

export const CHAT_MODEL: ChatModelInformation = {
  id: "punie-code-mode",
  name: "Punie (local)",
  family: "punie",
  version: "1",
  tooltip: "punie-lsp's local model: it answers by running ty, ruff and pytest on this project",
  detail: "local",
  maxInputTokens: 8192,
  maxOutputTokens: 4096,
  // The Chat view lists a model in its default Agent mode only if it calls tools. Punie's does,
  // its own (ty, ruff, pytest in Code Mode): the chat's tools are never called.
  capabilities: { imageInput: false, toolCalling: true },
  isUserSelectable: true,
};

const USER = 1; // vscode.LanguageModelChatMessageRole.User

/** The text of the last user message: the question (earlier turns are the chat's history). */
export function lastUserText(messages: readonly ChatRequestMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.role !== USER) {
      continue;
    }
    const text = message.content
      .map((part) =>
        typeof part === "object" && part !== null && typeof (part as { value?: unknown }).value === "string"
          ? (part as { value: string }).value
          : "",
      )
      .join("")
      .trim();
    if (text !== "") {
      return text;
    }
  }
  return "";
}
