// Sending `punie.ask` to the server: the answer streams on a work-done token we choose.
import * as vscode from "vscode";
import {
  type CancellationToken,
  ExecuteCommandRequest,
  type LanguageClient,
  WorkDoneProgress,
} from "vscode-languageclient/node";
import { type Answer, isAnswer } from "./answer";

export const ASK_COMMAND = "punie.ask";

export interface AskArgument {
  question: string;
  uri?: string;
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/** The question with the active Python file (and the selection, when asked about it). */
export function askArgument(
  question: string,
  editor: vscode.TextEditor | undefined,
  withSelection: boolean,
): AskArgument {
  const argument: AskArgument = { question };
  if (editor === undefined || editor.document.uri.scheme !== "file") {
    return argument;
  }
  argument.uri = editor.document.uri.toString();
  if (withSelection && !editor.selection.isEmpty) {
    const { start, end } = editor.selection;
    argument.range = {
      start: { line: start.line, character: start.character },
      end: { line: end.line, character: end.character },
    };
  }
  return argument;
}

/** "src/app.py, lines 3-7" for the panel. */
export function describeWhere(argument: AskArgument): string | undefined {
  if (argument.uri === undefined || argument.range === undefined) {
    return undefined;
  }
  const path = vscode.workspace.asRelativePath(vscode.Uri.parse(argument.uri));
  const first = argument.range.start.line + 1;
  const last = argument.range.end.line + 1;
  return first === last ? `${path}, line ${first}` : `${path}, lines ${first}-${last}`;
}

let counter = 0;

export async function sendAsk(
  client: LanguageClient,
  argument: AskArgument,
  onStream: (text: string) => void,
  token: CancellationToken,
): Promise<Answer> {
  const progressToken = `punie-vscode-${process.pid}-${++counter}`;
  const listening = client.onProgress(WorkDoneProgress.type, progressToken, (value) => {
    if (value.kind !== "end" && value.message) {
      onStream(value.message);
    }
  });
  try {
    const result: unknown = await client.sendRequest(
      ExecuteCommandRequest.type,
      { command: ASK_COMMAND, arguments: [argument], workDoneToken: progressToken },
      token,
    );
    if (!isAnswer(result)) {
      throw new Error("punie-lsp sent an answer this extension cannot read");
    }
    return result;
  } finally {
    listening.dispose();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
