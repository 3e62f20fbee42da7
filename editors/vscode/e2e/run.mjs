// The packaged extension in a real VS Code workbench: code-server with the .vsix installed,
// driven by Debian's headless Chromium through playwright-core. Prints what it saw as JSON
// (tests/test_vscode.py checks it) and saves screenshots.
//
//   node run.mjs --vsix F --folder DIR --file REL --server CMD --question Q [--hover L:C]
//                [--typesQuestion Q] [--chat Q] [--screenshots DIR]
//   node run.mjs ... --untrusted | --notInstalled | --rewriteCommand JSON --marker F
//                  | --fix L:C --fixTitle T [--settings JSON] [--expect CODE,...]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    vsix: { type: "string" },
    folder: { type: "string" },
    file: { type: "string" },
    server: { type: "string" },
    question: { type: "string" },
    hover: { type: "string", default: "1:1" }, // line:column to hover at
    typesQuestion: { type: "string" }, // a question whose answer runs the type checker
    chat: { type: "string" }, // a question for @punie in the Chat view
    // A new punie.server.command (JSON) written into settings.json from outside the editor;
    // the run ends when the file --marker names exists (the new command ran).
    rewriteCommand: { type: "string" },
    marker: { type: "string" },
    untrusted: { type: "boolean", default: false }, // open the folder in Restricted Mode
    // No punie.server.command, and a PATH without punie-lsp: the run ends with the
    // notifications the extension shows (the install sentence), and a screenshot of them.
    notInstalled: { type: "boolean", default: false },
    // The codes the Problems panel must list before the run goes on.
    expect: { type: "string", default: "F401,missing-union-attribute" },
    settings: { type: "string" }, // more user settings (JSON)
    // "Punie: fix CODE" from the quick-fix menu at LINE:COLUMN; the run ends with the
    // editor's text and the notifications once the server has said what it applied.
    fix: { type: "string" },
    fixTitle: { type: "string" },
    screenshots: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
const endsEarly =
  opts.untrusted || opts.notInstalled || opts.fix !== undefined || opts.rewriteCommand !== undefined;
const required = ["vsix", "folder", "file", ...(opts.notInstalled ? [] : ["server"]), ...(endsEarly ? [] : ["question"])];
for (const name of required) {
  if (!opts[name]) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
}

const codeServer = join(here, "node_modules", ".bin", "code-server");
const work = mkdtempSync(join(tmpdir(), "punie-vscode-e2e-"));
const userData = join(work, "user-data");
const extensions = join(work, "extensions");
const log = (message) => console.error(`[e2e ${new Date().toISOString().slice(11, 19)}] ${message}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, check, timeoutMs, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

class Done extends Error {}

const port = await freePort();
const config = join(work, "cs.yaml");
// Always pass --config: without it code-server writes a password file into the home directory.
writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
const common = ["--config", config, "--user-data-dir", userData, "--extensions-dir", extensions];

log(`installing ${opts.vsix}`);
const install = spawnSync(codeServer, [...common, "--install-extension", opts.vsix], { encoding: "utf8" });
if (install.status !== 0) {
  console.error(install.stdout, install.stderr);
  process.exit(1);
}

mkdirSync(join(userData, "User"), { recursive: true });
writeFileSync(
  join(userData, "User", "settings.json"),
  JSON.stringify(
    {
      ...(opts.notInstalled ? {} : { "punie.server.command": [opts.server, "serve"] }),
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "security.workspace.trust.enabled": opts.untrusted,
      // Untrusted without asking: the folder opens in Restricted Mode.
      "security.workspace.trust.startupPrompt": "never",
      "telemetry.telemetryLevel": "off",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "extensions.ignoreRecommendations": true,
      "update.mode": "none",
      "window.commandCenter": false,
      "git.enabled": false,
      "git.openRepositoryInParentFolders": "never",
      "workbench.secondarySideBar.defaultVisibility": "hidden",
      ...(opts.settings ? JSON.parse(opts.settings) : {}),
    },
    null,
    2,
  ),
);

log(`starting code-server on port ${port}`);
const server = spawn(
  codeServer,
  [
    ...common, "--disable-telemetry", "--disable-update-check",
    ...(opts.untrusted ? [] : ["--disable-workspace-trust"]), opts.folder,
  ],
  { detached: true, stdio: ["ignore", "pipe", "pipe"] },
);
let serverLog = "";
server.stdout.on("data", (chunk) => (serverLog += chunk));
server.stderr.on("data", (chunk) => (serverLog += chunk));

let browser;
const result = {
  problems: [], hover: null, afterTypes: [], exchanges: [], status: null, notifications: [],
  chat: null, chatModel: null, restarted: false, buttons: [], actions: [], text: null, tabs: [],
  dirty: false, errors: [],
};
try {
  await until(
    "code-server /healthz",
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    },
    60_000,
  );
  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (error) => result.errors.push(String(error)));
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.folder)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });
  log("workbench up; opening the file");

  // Open the file with Quick Open (steadier than clicking through the explorer tree).
  await page.waitForSelector(".explorer-folders-view", { timeout: 60_000 });
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type(opts.file);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${basename(opts.file)}"]`);
  await page.keyboard.press("Enter");
  if (opts.notInstalled) {
    log("waiting for the notification that says what to install");
    const toast = page.locator(".notifications-toasts .notification-list-item-message");
    await toast.filter({ hasText: "punie-lsp did not start" }).first().waitFor({ timeout: 60_000 });
    result.notifications = await toast.evaluateAll((items) => items.map((item) => item.textContent));
    result.buttons = await page
      .locator(".notifications-toasts .notification-list-item-buttons-container .monaco-button")
      .evaluateAll((buttons) => buttons.map((button) => button.textContent));
    if (opts.screenshots) {
      await page.screenshot({ path: join(opts.screenshots, "vscode-not-installed.png") });
    }
    throw new Done();
  }
  await page.waitForSelector(".monaco-editor .squiggly-warning, .monaco-editor .squiggly-error", {
    timeout: 120_000,
  });
  log("squiggles shown; reading the Problems panel");

  await page.keyboard.press("Control+Shift+M");
  await page.waitForSelector(".markers-panel .monaco-list-row", { timeout: 30_000 });
  // ruff answers first; wait until ty's findings are listed as well.
  await until(
    `the problems ${opts.expect}`,
    async () => {
      const text = await page.locator(".markers-panel").innerText();
      return opts.expect.split(",").every((code) => text.includes(code));
    },
    60_000,
  );
  result.problems = await page
    .locator(".markers-panel .monaco-list-row")
    .evaluateAll((rows) => rows.map((row) => `${row.getAttribute("aria-label")} | ${row.textContent}`));
  if (opts.screenshots) {
    await page.screenshot({ path: join(opts.screenshots, "vscode-diagnostics.png") });
  }
  if (opts.rewriteCommand) {
    log("writing punie.server.command into settings.json from outside the editor");
    const file = join(userData, "User", "settings.json");
    const settings = JSON.parse(readFileSync(file, "utf8"));
    settings["punie.server.command"] = JSON.parse(opts.rewriteCommand);
    writeFileSync(file, JSON.stringify(settings, null, 2));
    await until("the server restarted with the new command", () => existsSync(opts.marker), 60_000);
    result.restarted = true;
    throw new Done();
  }
  if (opts.fix) {
    log(`asking for ${opts.fixTitle} at ${opts.fix}`);
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+1");
    await page.keyboard.press("Control+G");
    await page.waitForSelector(".quick-input-widget input", { state: "visible" });
    await page.keyboard.type(opts.fix);
    await page.keyboard.press("Enter");
    // The menu lists what the server offered when it opened; ask again until the model's
    // action is there (the server offers it once its settings say a model is configured).
    const item = page.locator(".action-widget .monaco-list-row", { hasText: opts.fixTitle });
    await until(
      `${opts.fixTitle} in the quick-fix menu`,
      async () => {
        await page.keyboard.press("Control+Period");
        const shown = await item
          .first()
          .waitFor({ timeout: 3000 })
          .then(() => true)
          .catch(() => false);
        if (!shown) {
          await page.keyboard.press("Escape");
        }
        return shown;
      },
      60_000,
    );
    result.actions = await page
      .locator(".action-widget .monaco-list-row")
      .evaluateAll((rows) => rows.map((row) => row.textContent));
    await item.first().click();
    const toast = page.locator(".notifications-toasts .notification-list-item-message");
    await toast.filter({ hasText: /punie: (applied|the editor did not|no fix for)/ }).first().waitFor({ timeout: 120_000 });
    result.notifications = await toast.evaluateAll((items) => items.map((item) => item.textContent));
    result.text = await page.locator(".monaco-editor .view-lines").first().innerText();
    result.tabs = await page.locator(".tab").evaluateAll((tabs) => tabs.map((tab) => tab.className));
    result.dirty = (await page.locator(".tab.active.dirty").count()) > 0;
    if (opts.screenshots) {
      await page.screenshot({ path: join(opts.screenshots, "vscode-fix.png") });
    }
    throw new Done();
  }
  if (opts.untrusted) {
    result.notifications = await page
      .locator(".notifications-toasts .notification-list-item-message")
      .evaluateAll((items) => items.map((item) => item.textContent));
    throw new Done();
  }

  log("hovering: ty's hover through punie-lsp");
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+1"); // back to the editor
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type(opts.hover);
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = await page.waitForSelector(".monaco-hover .hover-contents", { timeout: 30_000 });
  result.hover = await hover.innerText();
  await page.keyboard.press("Escape");

  log("running Punie: Ask");
  await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type("Punie: Ask");
  // "Ask about Selection" is hidden without a selection, so the first match is "Ask".
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Punie: Ask" }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.waitForSelector('.quick-input-widget .quick-input-title:has-text("Punie: Ask")', {
    state: "visible",
  });
  await page.keyboard.type(opts.question);
  await page.keyboard.press("Enter");

  // The panel is a webview: its page lives in a nested frame.
  const panel = await until(
    "the Ask panel",
    async () => {
      for (const frame of page.frames()) {
        if (await frame.$("#history").catch(() => null)) {
          return frame;
        }
      }
      return null;
    },
    60_000,
  );
  log("panel open; waiting for the answer");
  await panel.waitForSelector(".exchange.done, .exchange.error", { timeout: 300_000 });
  const statusItem = page.locator(".statusbar-item", { has: page.locator(".codicon") }).filter({ hasText: "Punie" });
  result.status = await statusItem.first().evaluate((item) => item.innerHTML);
  if (opts.screenshots) {
    await page.screenshot({ path: join(opts.screenshots, "vscode-ask.png") });
  }

  if (opts.typesQuestion) {
    // The model's type check finds what the live ty diagnostics already show on the open
    // file: the Problems panel must still list each problem once.
    log("asking for the type errors; then reading the Problems panel again");
    await panel.fill("#question", opts.typesQuestion);
    await panel.press("#question", "Enter");
    await panel.waitForSelector("#exchange-2.done, #exchange-2.error", { timeout: 120_000 });
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the findings' publish
    result.afterTypes = await page
      .locator(".markers-panel .monaco-list-row")
      .evaluateAll((rows) => rows.map((row) => `${row.getAttribute("aria-label")} | ${row.textContent}`));
    if (opts.screenshots) {
      await page.screenshot({ path: join(opts.screenshots, "vscode-problems-once.png") });
    }
  }
  const cancelled = opts.typesQuestion ? 3 : 2;

  log("asking again from the panel, then cancelling");
  await panel.fill("#question", "Explain, in detail and at length, what every function in this project does.");
  await panel.press("#question", "Enter");
  await panel.waitForSelector(`#exchange-${cancelled}`, { timeout: 30_000 });
  await panel.waitForSelector("#cancel:not([disabled])", { timeout: 30_000 });
  await panel.click("#cancel");
  const ends = ["cancelled", "done", "error"].map((state) => `#exchange-${cancelled}.${state}`);
  await panel.waitForSelector(ends.join(", "), { timeout: 60_000 });
  result.exchanges = await panel
    .locator(".exchange")
    .evaluateAll((nodes) =>
      nodes.map((node) => ({ state: node.getAttribute("data-state"), text: node.innerText })),
    );

  if (opts.chat) {
    // The Chat view with no Copilot: @punie answers there only because punie's model is
    // offered to it (the picker selects it), so the request has a model.
    log("asking @punie in the Chat view");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+Alt+KeyI");
    const input = page.locator(".interactive-input-part");
    await input.getByText("Punie (local)").first().waitFor({ timeout: 60_000 });
    result.chatModel = "Punie (local)";
    await input.locator(".monaco-editor").first().click();
    // Typed slowly: the participant's completion must settle before the question follows.
    await page.keyboard.type("@punie", { delay: 50 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await page.keyboard.type(` ${opts.chat}`, { delay: 20 });
    await page.keyboard.press("Enter");
    const response = page.locator(".interactive-response").last();
    await response
      .filter({ hasText: /The code the model ran in the sandbox|Error|unavailable|not running/ })
      .waitFor({ timeout: 300_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the rest of the stream
    result.chat = await response.innerText();
    if (opts.screenshots) {
      await page.screenshot({ path: join(opts.screenshots, "vscode-chat.png") });
    }
  }
} catch (error) {
  // The untrusted, not-installed, fix and settings runs end early (Done): nothing of the model runs there.
  if (!(error instanceof Done)) {
    result.errors.push(String(error?.stack ?? error));
    log(`failed: ${error}`);
    log(`code-server log:\n${serverLog.slice(-4000)}`);
  }
} finally {
  await browser?.close();
  try {
    process.kill(-server.pid, "SIGTERM"); // its whole process group: the extension host too
  } catch {
    // already gone
  }
}
console.log(JSON.stringify(result, null, 2));
process.exit(result.errors.length === 0 ? 0 : 1);
