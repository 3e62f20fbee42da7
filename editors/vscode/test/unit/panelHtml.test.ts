import assert from "node:assert/strict";
import { test } from "node:test";
import type { Answer } from "../../src/answer";
import { escapeHtml, type Exchange, exchangeHtml, pageHtml } from "../../src/panelHtml";

const HOSTILE = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;

function answer(text: string): Answer {
  return { question: "q", kind: "direct", code: null, output: null, answer: text, error: null, results: [], timings: {} };
}

test("questions, streamed text and errors are escaped", () => {
  for (const exchange of [
    { id: 1, question: HOSTILE, state: "waiting", streamed: "" },
    { id: 2, question: "q", state: "streaming", streamed: HOSTILE },
    { id: 3, question: "q", state: "error", streamed: "", error: HOSTILE },
    { id: 4, question: "q", where: HOSTILE, state: "cancelled", streamed: "" },
  ] satisfies Exchange[]) {
    const html = exchangeHtml(exchange);
    assert.ok(!html.includes("<img") && !html.includes("<script"), html);
    assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"), html);
  }
});

test("the model's Markdown is rendered, its HTML is not", () => {
  const html = exchangeHtml({
    id: 7,
    question: "q",
    state: "done",
    streamed: "",
    answer: answer(`Use **tuples**.\n\n${HOSTILE}\n\n[x](javascript:alert(3))`),
  });
  assert.match(html, /<strong>tuples<\/strong>/);
  assert.ok(!html.includes("<img") && !html.includes("<script") && !html.includes('href="javascript'), html);
  assert.match(html, /id="exchange-7"/);
  assert.match(html, /data-state="done"/);
});

test("the page allows only its own script by nonce and the webview's styles", () => {
  const html = pageHtml({ cspSource: "vscode-webview://abc", nonce: "n0nce", scriptUri: "s.js", styleUri: "s.css" });
  assert.match(html, /script-src 'nonce-n0nce';/);
  assert.match(html, /default-src 'none'/);
  assert.match(html, /<script nonce="n0nce" src="s.js"><\/script>/);
  assert.equal(escapeHtml(`a&b"'`), "a&amp;b&quot;&#39;");
});
