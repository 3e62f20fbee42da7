// The language client: how the server is launched, what the client says it supports, and
// the server's `punie.ask` commands (from code actions) routed to the Ask panel.
import * as vscode from "vscode";
import {
  type ClientCapabilities,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from "vscode-languageclient/node";
import { ASK_COMMAND, type AskArgument } from "./ask";
import { findInVenv, findOnPath, type Launch, resolveLaunch } from "./launch";

export const SECTION = "punie";
export const STATUS_NOTIFICATION = "punie/status";

/** Tells the server we show the model's state (it then sends punie/status). */
class StatusFeature implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...(capabilities.experimental ?? {}), punieStatus: true };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: "static" };
  }
  clear(): void {}
}

/** The interpreter selected in the Python extension, when it is installed. */
async function selectedInterpreter(resource: vscode.Uri | undefined): Promise<string[] | undefined> {
  const extension = vscode.extensions.getExtension("ms-python.python");
  if (extension === undefined) {
    return undefined;
  }
  try {
    const api = await extension.activate();
    const path: unknown = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
    if (typeof path === "string" && path !== "") {
      return [path];
    }
    const details: unknown = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
    return Array.isArray(details) && details.every((p) => typeof p === "string") ? details : undefined;
  } catch {
    return undefined; // an unhappy Python extension must not keep our server from starting
  }
}

/** The server.command setting as VS Code has it. */
export function configuredCommand(): string[] {
  return vscode.workspace.getConfiguration(SECTION).get<string[]>("server.command", []);
}

/** How to start the server, given the server.command setting. */
export async function launchCommand(configured: string[]): Promise<Launch> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const onPath = configured.length > 0 ? undefined : findOnPath("punie-lsp");
  // The workspace's own executables run only in a trusted workspace (Restricted Mode).
  const trusted = vscode.workspace.isTrusted;
  const inVenv =
    configured.length > 0 || onPath || !trusted ? undefined : findInVenv(folder?.fsPath);
  const interpreter =
    configured.length > 0 || onPath || inVenv ? undefined : await selectedInterpreter(folder);
  return resolveLaunch(configured, onPath, interpreter, inVenv);
}

/**
 * In Restricted Mode the server runs what cannot run the workspace's code: ruff's and ty's
 * diagnostics. The model (whose snippets run the project's tests) and the verification of
 * unsafe fixes (which runs them too) are off, whatever the settings say.
 */
function restricted(settings: unknown): unknown {
  if (vscode.workspace.isTrusted || typeof settings !== "object" || settings === null) {
    return settings;
  }
  const plain = JSON.parse(JSON.stringify(settings)) as Record<string, unknown>;
  const model = typeof plain.model === "object" && plain.model !== null ? plain.model : {};
  return { ...plain, model: { ...model, enabled: false }, verifyUnsafeFixes: false };
}

export function createClient(
  launch: Launch,
  output: vscode.LogOutputChannel,
  onAsk: (argument: AskArgument) => Promise<void>,
): LanguageClient {
  // No `transport`: it would append --stdio to a command the user gave us to run as given.
  const server: ServerOptions = { command: launch.command, args: launch.args };
  const options: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ],
    synchronize: { configurationSection: SECTION },
    initializationOptions: restricted(vscode.workspace.getConfiguration(SECTION)),
    outputChannel: output,
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          return Array.isArray(answer) ? answer.map((item) => restricted(item)) : answer;
        },
      },
      // The model's code actions run punie.ask: show that answer in the panel too.
      executeCommand: async (command, args, next) => {
        if (command === ASK_COMMAND && args.length === 1 && typeof args[0]?.question === "string") {
          return onAsk(args[0] as AskArgument);
        }
        return next(command, args);
      },
    },
  };
  const client = new LanguageClient("punie", "Punie", server, options);
  client.registerFeature(new StatusFeature());
  return client;
}
