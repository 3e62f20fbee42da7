// The Ask panel's page script: shows exchanges sent by the extension, sends questions back.
(function () {
  const vscode = acquireVsCodeApi(); // provided by the webview host
  const history = /** @type {HTMLElement} */ (document.getElementById("history"));
  const form = /** @type {HTMLFormElement} */ (document.getElementById("ask"));
  const question = /** @type {HTMLTextAreaElement} */ (document.getElementById("question"));
  const cancel = /** @type {HTMLButtonElement} */ (document.getElementById("cancel"));

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (message.type === "exchange") {
      document.getElementById("empty")?.remove();
      const template = document.createElement("template");
      template.innerHTML = message.html; // built and escaped by the extension (panelHtml.ts)
      const node = template.content.firstElementChild;
      const old = document.getElementById(`exchange-${message.id}`);
      if (node && old) {
        old.replaceWith(node);
      } else if (node) {
        history.appendChild(node);
      }
      history.scrollTop = history.scrollHeight;
    } else if (message.type === "busy") {
      cancel.disabled = !message.busy;
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (text !== "") {
      vscode.postMessage({ type: "ask", question: text });
      question.value = "";
    }
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  cancel.addEventListener("click", () => vscode.postMessage({ type: "cancel" }));
  vscode.postMessage({ type: "ready" });
})();
