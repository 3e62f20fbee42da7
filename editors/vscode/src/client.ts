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

export async function launchCommand(): Promise<Launch> {
  const configured = vscode.workspace.getConfiguration(SECTION).get<string[]>("server.command", []);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const onPath = configured.length > 0 ? undefined : findOnPath("punie-lsp");
  const inVenv = configured.length > 0 || onPath ? undefined : findInVenv(folder?.fsPath);
  const interpreter =
    configured.length > 0 || onPath || inVenv ? undefined : await selectedInterpreter(folder);
  return resolveLaunch(configured, onPath, interpreter, inVenv);
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
    initializationOptions: vscode.workspace.getConfiguration(SECTION),
    outputChannel: output,
    middleware: {
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
