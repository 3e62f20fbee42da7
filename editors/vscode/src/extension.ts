// Wires the extension: the language client, the Ask panel, the status bar, commands, chat.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as vscode from "vscode";
import { type LanguageClient, State } from "vscode-languageclient/node";
import { askArgument, errorText } from "./ask";
import { AskPanel } from "./askPanel";
import { registerChat } from "./chat";
import { createClient, launchCommand, SECTION, STATUS_NOTIFICATION } from "./client";
import { describeLaunch, type Launch, probeOf } from "./launch";
import { StatusBar } from "./statusBar";
import { isModelState } from "./statusView";

let client: LanguageClient | undefined;
let logFile: string | undefined; // the server's log, from punie/status

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Punie", { log: true });
  const status = new StatusBar();
  const panel = new AskPanel(context.extensionUri, () => client);
  context.subscriptions.push(output, status, panel);

  async function start(): Promise<void> {
    const launch = await launchCommand();
    output.appendLine(`Starting ${describeLaunch(launch)} (from ${launch.source})`);
    const missing = await notInstalled(launch);
    if (missing !== undefined) {
      status.set("stopped", missing);
      void startFailed(launch, missing);
      return;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showInformationMessage(
        "Punie: Restricted Mode: ruff and ty diagnostics only. The model and the checks of " +
          "unsafe fixes run the project's tests, so they wait until you trust this folder.",
      );
    }
    const started = createClient(launch, output, (argument) => panel.ask(argument));
    started.onDidChangeState((change) => {
      if (change.newState === State.Stopped) {
        status.set("stopped", "");
      }
    });
    started.onNotification(STATUS_NOTIFICATION, (params: Record<string, unknown>) => {
      if (isModelState(params.model)) {
        status.set(params.model, typeof params.message === "string" ? params.message : "");
      }
      if (typeof params.logFile === "string") {
        logFile = params.logFile;
      }
    });
    client = started;
    status.set("starting", "");
    try {
      await started.start();
    } catch (error) {
      status.set("stopped", errorText(error));
      void startFailed(launch, error);
    }
  }

  async function stop(): Promise<void> {
    const stopping = client;
    client = undefined;
    panel.cancelAll();
    if (stopping !== undefined) {
      try {
        await stopping.stop();
      } catch (error) {
        output.appendLine(`Stopping punie-lsp: ${errorText(error)}`);
      }
    }
  }

  async function restart(): Promise<void> {
    await stop();
    await start();
  }

  /** Why a launch through an interpreter cannot work (punie_lsp is not installed there). */
  async function notInstalled(launch: Launch): Promise<string | undefined> {
    const probe = probeOf(launch);
    if (probe === undefined) {
      return undefined;
    }
    return new Promise((resolve) => {
      execFile(probe.command, probe.args, { timeout: 20000 }, (error, _stdout, stderr) => {
        resolve(error ? (stderr.trim().split("\n").pop() ?? error.message) : undefined);
      });
    });
  }

  async function startFailed(launch: Launch, error: unknown): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      `punie-lsp did not start (${describeLaunch(launch)}): ${errorText(error)}. ` +
        "Put punie-lsp on your PATH (from a clone: uv tool install --from . punie-lsp " +
        `--overrides tool-overrides.txt) or set ${SECTION}.server.command.`,
      "Open Settings",
      "Show Logs",
    );
    if (choice === "Open Settings") {
      void vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.server`);
    } else if (choice === "Show Logs") {
      output.show();
    }
  }

  async function askQuestion(withSelection: boolean): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (withSelection && (editor === undefined || editor.selection.isEmpty)) {
      void vscode.window.showInformationMessage("Punie: select some code first.");
      return;
    }
    const question = await vscode.window.showInputBox({
      title: withSelection ? "Punie: Ask about Selection" : "Punie: Ask",
      prompt: withSelection
        ? "A question about the selected lines"
        : "A question about this project (tests, types, lint) or about Python",
      value: withSelection ? "Explain this code." : undefined,
      ignoreFocusOut: true,
    });
    if (question !== undefined && question.trim() !== "") {
      await panel.ask(askArgument(question.trim(), editor, withSelection));
    }
  }

  async function showLogs(): Promise<void> {
    if (logFile !== undefined && existsSync(logFile)) {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(logFile));
      await vscode.window.showTextDocument(document, { preview: true });
    }
    output.show(true);
  }

  context.subscriptions.push(
    vscode.commands.registerCommand("punie.askQuestion", () => askQuestion(false)),
    vscode.commands.registerCommand("punie.askAboutSelection", () => askQuestion(true)),
    vscode.commands.registerCommand("punie.cancelAnswer", () => panel.cancelAll()),
    vscode.commands.registerCommand("punie.restartServer", restart),
    vscode.commands.registerCommand("punie.showLogs", showLogs),
    vscode.workspace.onDidChangeConfiguration(async (change) => {
      // Other settings reach the running server through workspace/configuration.
      if (change.affectsConfiguration(`${SECTION}.server.command`)) {
        await restart();
      }
    }),
    { dispose: () => void stop() },
  );
  context.subscriptions.push(...registerChat(() => client));
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
