// The Ask panel's HTML: the page and one question-and-answer exchange. Pure: unit-tested.
import MarkdownIt from "markdown-it";
import { type Answer, answerMarkdown } from "./answer";

export type ExchangeState = "waiting" | "streaming" | "done" | "error" | "cancelled";

export interface Exchange {
  id: number;
  question: string;
  /** "src/app.py, lines 3-7" when the question is about a selection. */
  where?: string;
  state: ExchangeState;
  /** The newest part of the model's reply while it is being written. */
  streamed: string;
  answer?: Answer;
  error?: string;
}

// The model's text is never trusted as HTML: raw HTML is escaped and only safe links kept.
const markdown = new MarkdownIt({ html: false, linkify: false });

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function renderMarkdown(text: string): string {
  return markdown.render(text);
}

function body(exchange: Exchange): string {
  switch (exchange.state) {
    case "waiting":
      return `<p class="status">Waiting for the model…</p>`;
    case "streaming":
      return `<pre class="stream">${escapeHtml(exchange.streamed)}</pre>`;
    case "done":
      return exchange.answer === undefined
        ? `<p class="status">No answer.</p>`
        : `<div class="answer">${renderMarkdown(answerMarkdown(exchange.answer))}</div>`;
    case "error":
      return `<p class="error">${escapeHtml(exchange.error ?? "The answer failed.")}</p>`;
    case "cancelled":
      return `<p class="status">Cancelled.</p>`;
  }
}

export function exchangeHtml(exchange: Exchange): string {
  const where =
    exchange.where === undefined ? "" : `<div class="where">${escapeHtml(exchange.where)}</div>`;
  return (
    `<section class="exchange ${exchange.state}" id="exchange-${exchange.id}" ` +
    `data-state="${exchange.state}">` +
    `<div class="question">${escapeHtml(exchange.question)}</div>${where}${body(exchange)}` +
    `</section>`
  );
}

export interface PageResources {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function pageHtml(resources: PageResources): string {
  const { cspSource, nonce, scriptUri, styleUri } = resources;
  const csp =
    `default-src 'none'; img-src ${cspSource} data:; ` +
    `style-src ${cspSource}; script-src 'nonce-${nonce}';`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>Punie</title>
</head>
<body>
<main id="history" aria-live="polite">
<p id="empty" class="status">Ask about this project: which tests fail, what ty or ruff report, or a Python question.</p>
</main>
<form id="ask">
<textarea id="question" rows="2" placeholder="Ask Punie… (Enter to send, Shift+Enter for a new line)"></textarea>
<div class="buttons">
<button id="send" type="submit">Ask</button>
<button id="cancel" type="button" disabled>Cancel</button>
</div>
</form>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
