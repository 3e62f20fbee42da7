// The @punie chat participant, and punie's model offered to the Chat view, where VS Code has
// the chat API.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { askArgument, errorText, sendAsk } from "./ask";
import { answerMarkdown } from "./answer";
import { CHAT_MODEL, type ChatModelProvider, lastUserText, type LanguageModels } from "./chatModel";

export const CHAT_VENDOR = "punie";

const NOT_RUNNING = "punie-lsp is not running: run **Punie: Restart Server**.";

/** The answer to a question asked in the chat, as Markdown. */
async function chatAnswer(
  client: () => LanguageClient | undefined,
  question: string,
  token: vscode.CancellationToken,
): Promise<string> {
  const running = client();
  if (running === undefined || !running.isRunning()) {
    return NOT_RUNNING;
  }
  try {
    const argument = askArgument(question, vscode.window.activeTextEditor, true);
    return answerMarkdown(await sendAsk(running, argument, () => {}, token));
  } catch (error) {
    return token.isCancellationRequested ? "" : `**Error:** ${errorText(error)}`;
  }
}

export function registerChat(client: () => LanguageClient | undefined): vscode.Disposable[] {
  const registered: vscode.Disposable[] = [];
  // The Chat view runs a participant only with a language model selected (else "Language
  // model unavailable"), and a workbench without Copilot has none: offer punie's own
  // (VS Code 1.104+). A message sent to it is answered as `@punie` answers.
  const lm = vscode.lm as unknown as LanguageModels | undefined;
  if (typeof lm?.registerLanguageModelChatProvider === "function") {
    const provider: ChatModelProvider = {
      provideLanguageModelChatInformation: () => [CHAT_MODEL],
      provideLanguageModelChatResponse: async (_model, messages, _options, progress, token) => {
        const question = lastUserText(messages);
        const text = question === "" ? "Ask a question." : await chatAnswer(client, question, token);
        progress.report(new vscode.LanguageModelTextPart(text));
      },
      // Only the chat's context budget asks; punie sends the question alone to its model.
      provideTokenCount: async (_model, text) =>
        Math.ceil((typeof text === "string" ? text : lastUserText([text])).length / 4),
    };
    registered.push(lm.registerLanguageModelChatProvider(CHAT_VENDOR, provider));
    // The workbench asks a vendor for its models lazily; until it has, the Chat view's picker
    // offers only "Sign in to use Copilot". Asking once makes punie's model listed at once.
    void Promise.resolve(vscode.lm.selectChatModels({ vendor: CHAT_VENDOR })).catch(() => undefined);
  }
  if (typeof vscode.chat?.createChatParticipant === "function") {
    registered.push(
      vscode.chat.createChatParticipant("punie.chat", async (request, _context, stream, token) => {
        stream.progress("Asking the local model…");
        const text = await chatAnswer(client, request.prompt, token);
        if (text !== "") {
          stream.markdown(text);
        }
      }),
    );
  }
  return registered;
}
