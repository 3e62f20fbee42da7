import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { commandFromFiles, commandIn } from "../../src/settingsFiles";

test("the command is read from settings.json as VS Code writes it: comments, trailing commas", () => {
  const text = `{
    // where punie-lsp lives here
    "editor.tabSize": 4,
    "punie.server.command": ["/opt/punie/bin/punie-lsp", "serve",],
  }`;
  assert.deepEqual(commandIn(text), ["/opt/punie/bin/punie-lsp", "serve"]);
});

test("no command where it is absent, not a list of strings, or the file is not JSON", () => {
  for (const text of ["{}", '{"punie.server.command": "punie-lsp serve"}', '{"punie.server.command": [1]}', "{", ""]) {
    assert.equal(commandIn(text), undefined, text);
  }
});

test("the workspace's file overrides the user's; a missing or silent file sets nothing", () => {
  const folder = mkdtempSync(join(tmpdir(), "punie-settings-"));
  const user = join(folder, "user.json");
  const workspace = join(folder, "workspace.json");
  writeFileSync(user, '{"punie.server.command": ["user-punie", "serve"]}');
  assert.deepEqual(commandFromFiles([user, join(folder, "missing.json")]), ["user-punie", "serve"]);
  writeFileSync(workspace, '{"editor.tabSize": 2}');
  assert.deepEqual(commandFromFiles([user, workspace]), ["user-punie", "serve"]);
  writeFileSync(workspace, '{"punie.server.command": ["workspace-punie"]}');
  assert.deepEqual(commandFromFiles([user, workspace]), ["workspace-punie"]);
  assert.deepEqual(commandFromFiles([]), []);
});
