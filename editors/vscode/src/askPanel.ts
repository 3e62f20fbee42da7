// The Ask panel: the conversation's history, the streamed answer, a box to ask and Cancel.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { type AskArgument, describeWhere, errorText, sendAsk } from "./ask";
import { type Exchange, exchangeHtml, pageHtml } from "./panelHtml";

type FromWebview = { type: "ready" } | { type: "ask"; question: string } | { type: "cancel" };

export class AskPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly history: Exchange[] = [];
  private readonly running = new Map<number, vscode.CancellationTokenSource>();
  private nextId = 1;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: () => LanguageClient | undefined,
  ) {}

  /** Ask a question and show its answer as it comes; resolves when it is answered. */
  async ask(argument: AskArgument): Promise<void> {
    this.reveal();
    const exchange: Exchange = {
      id: this.nextId++,
      question: argument.question,
      where: describeWhere(argument),
      state: "waiting",
      streamed: "",
    };
    this.history.push(exchange);
    this.show(exchange);
    const client = this.client();
    if (client === undefined || !client.isRunning()) {
      this.settle(exchange, { state: "error", error: "punie-lsp is not running (Punie: Restart Server)." });
      return;
    }
    const cancel = new vscode.CancellationTokenSource();
    this.running.set(exchange.id, cancel);
    this.post({ type: "busy", busy: true });
    try {
      const answer = await sendAsk(
        client,
        argument,
        (text) => {
          if (exchange.state === "waiting" || exchange.state === "streaming") {
            exchange.state = "streaming";
            exchange.streamed = text;
            this.show(exchange);
          }
        },
        cancel.token,
      );
      this.settle(exchange, { state: "done", answer });
    } catch (error) {
      const cancelled = cancel.token.isCancellationRequested;
      this.settle(exchange, cancelled ? { state: "cancelled" } : { state: "error", error: errorText(error) });
    } finally {
      this.running.delete(exchange.id);
      cancel.dispose();
      this.post({ type: "busy", busy: this.running.size > 0 });
    }
  }

  cancelAll(): void {
    for (const source of this.running.values()) {
      source.cancel();
    }
  }

  dispose(): void {
    this.cancelAll();
    this.panel?.dispose();
  }

  private settle(exchange: Exchange, change: Partial<Exchange>): void {
    Object.assign(exchange, change);
    this.show(exchange);
  }

  private reveal(): void {
    if (this.panel !== undefined) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const panel = vscode.window.createWebviewPanel(
      "punie.ask",
      "Punie",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media] },
    );
    const webview = panel.webview;
    webview.html = pageHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString("base64"),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "panel.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "panel.css")).toString(),
    });
    webview.onDidReceiveMessage((message: FromWebview) => this.receive(message));
    panel.onDidDispose(() => {
      this.panel = undefined;
    });
    this.panel = panel;
  }

  private receive(message: FromWebview): void {
    if (message.type === "ready") {
      // A new or reloaded page: show the whole conversation again.
      for (const exchange of this.history) {
        this.show(exchange);
      }
      this.post({ type: "busy", busy: this.running.size > 0 });
    } else if (message.type === "ask" && message.question.trim() !== "") {
      void this.ask({ question: message.question.trim() });
    } else if (message.type === "cancel") {
      this.cancelAll();
    }
  }

  private show(exchange: Exchange): void {
    this.post({ type: "exchange", id: exchange.id, html: exchangeHtml(exchange) });
  }

  private post(message: unknown): void {
    void this.panel?.webview.postMessage(message);
  }
}
