// The status bar item: what the model is doing (from punie/status) and whether the server runs.
import * as vscode from "vscode";
import { type ModelState, statusView } from "./statusView";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    "punie.status",
    vscode.StatusBarAlignment.Right,
    100,
  );
  state: ModelState = "starting";
  message = "";

  constructor() {
    this.item.name = "Punie";
    this.set("starting", "");
    this.item.show();
  }

  set(state: ModelState, message: string): void {
    this.state = state;
    this.message = message;
    const view = statusView(state, message);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.alert
      ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : undefined;
    this.item.command = view.alert ? "punie.showLogs" : "punie.askQuestion";
  }

  dispose(): void {
    this.item.dispose();
  }
}
