// Wires the extension: the language client, the Ask panel, the status bar, commands, chat.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import * as vscode from "vscode";
import { type LanguageClient, State } from "vscode-languageclient/node";
import { askArgument, errorText } from "./ask";
import { AskPanel } from "./askPanel";
import { registerChat } from "./chat";
import {
  configuredCommand,
  createClient,
  launchCommand,
  SECTION,
  STATUS_NOTIFICATION,
} from "./client";
import { describeLaunch, type Launch, probeOf } from "./launch";
import { commandFromFiles, watchFiles } from "./settingsFiles";
import { StatusBar } from "./statusBar";
import { isModelState } from "./statusView";

let client: LanguageClient | undefined;
let logFile: string | undefined; // the server's log, from punie/status

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Punie", { log: true });
  const status = new StatusBar();
  const panel = new AskPanel(context.extensionUri, () => client);
  context.subscriptions.push(output, status, panel);

  let startedWith: string[] = []; // the server.command setting the running server came from

  async function start(configured: string[] = configuredCommand()): Promise<void> {
    startedWith = configured;
    const launch = await launchCommand(configured);
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

  async function restart(configured?: string[]): Promise<void> {
    await stop();
    await start(configured);
  }

  /** Restarts the server when server.command differs from the one it was started with. */
  async function commandChanged(configured: string[]): Promise<void> {
    if (JSON.stringify(configured) !== JSON.stringify(startedWith)) {
      output.appendLine(`${SECTION}.server.command changed: restarting`);
      await restart(configured);
    }
  }

  // The user's settings.json (beside globalStorage) and, in a trusted folder, the folder's.
  function settingsFiles(): string[] {
    const user = join(dirname(dirname(context.globalStorageUri.fsPath)), "settings.json");
    const folders = vscode.workspace.isTrusted ? (vscode.workspace.workspaceFolders ?? []) : [];
    return [user, ...folders.map((folder) => join(folder.uri.fsPath, ".vscode", "settings.json"))];
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
    vscode.commands.registerCommand("punie.restartServer", () => restart(startedWith)),
    vscode.commands.registerCommand("punie.showLogs", showLogs),
    vscode.workspace.onDidChangeConfiguration(async (change) => {
      // Other settings reach the running server through workspace/configuration.
      if (change.affectsConfiguration(`${SECTION}.server.command`)) {
        await commandChanged(configuredCommand());
      }
    }),
    // A settings.json written by another program, which the workbench may not notice.
    watchFiles(settingsFiles(), () => void commandChanged(commandFromFiles(settingsFiles()))),
    { dispose: () => void stop() },
  );
  context.subscriptions.push(...registerChat(() => client));
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
