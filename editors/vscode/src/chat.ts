// The @punie chat participant, where VS Code offers the chat API.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { askArgument, errorText, sendAsk } from "./ask";
import { answerMarkdown } from "./answer";

export function registerChat(
  client: () => LanguageClient | undefined,
): vscode.Disposable | undefined {
  if (typeof vscode.chat?.createChatParticipant !== "function") {
    return undefined;
  }
  return vscode.chat.createChatParticipant("punie.chat", async (request, _context, stream, token) => {
    const running = client();
    if (running === undefined || !running.isRunning()) {
      stream.markdown("punie-lsp is not running: run **Punie: Restart Server**.");
      return;
    }
    stream.progress("Asking the local model…");
    const editor = vscode.window.activeTextEditor;
    try {
      const answer = await sendAsk(running, askArgument(request.prompt, editor, true), () => {}, token);
      stream.markdown(answerMarkdown(answer));
    } catch (error) {
      if (!token.isCancellationRequested) {
        stream.markdown(`**Error:** ${errorText(error)}`);
      }
    }
  });
}
