import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { describeLaunch, findInVenv, findOnPath, probeOf, resolveLaunch } from "../../src/launch";

test("the configured command wins and is used as given", () => {
  const launch = resolveLaunch(["/opt/punie/bin/punie-lsp", "serve", "--log-level", "DEBUG"], "/usr/bin/punie-lsp", ["/usr/bin/python3"]);
  assert.deepEqual(launch, {
    command: "/opt/punie/bin/punie-lsp",
    args: ["serve", "--log-level", "DEBUG"],
    source: "setting",
  });
});

test("blank entries in the setting are ignored", () => {
  assert.equal(resolveLaunch(["", "  "], "/usr/bin/punie-lsp", undefined).source, "PATH");
});

test("punie-lsp on PATH comes before the interpreter", () => {
  assert.deepEqual(resolveLaunch([], "/usr/bin/punie-lsp", ["/venv/bin/python"]), {
    command: "/usr/bin/punie-lsp",
    args: ["serve"],
    source: "PATH",
  });
});

test("else the selected interpreter runs the package", () => {
  const launch = resolveLaunch([], undefined, ["/usr/bin/conda", "run", "-n", "x", "python"]);
  assert.equal(launch.command, "/usr/bin/conda");
  assert.deepEqual(launch.args, ["run", "-n", "x", "python", "-m", "punie_lsp", "serve"]);
  assert.equal(describeLaunch(launch), "/usr/bin/conda run -n x python -m punie_lsp serve");
});

test("with nothing at all, python3 -m punie_lsp", () => {
  assert.deepEqual(resolveLaunch([], undefined, []), {
    command: "python3",
    args: ["-m", "punie_lsp", "serve"],
    source: "python3",
  });
});

test("findOnPath finds only executables, in PATH order", () => {
  const first = mkdtempSync(join(tmpdir(), "punie-a-"));
  const second = mkdtempSync(join(tmpdir(), "punie-b-"));
  writeFileSync(join(first, "punie-lsp"), "not executable");
  writeFileSync(join(second, "punie-lsp"), "#!/bin/sh\n");
  chmodSync(join(second, "punie-lsp"), 0o755);
  const path = ["", first, second].join(delimiter);
  assert.equal(findOnPath("punie-lsp", path), join(second, "punie-lsp"));
  assert.equal(findOnPath("punie-lsp", first), undefined);
  assert.equal(findOnPath("punie-lsp", ""), undefined);
});

test("the workspace's .venv comes after PATH and before the interpreter", () => {
  const venv = "/work/clone/.venv/bin/punie-lsp";
  assert.equal(resolveLaunch([], "/usr/bin/punie-lsp", ["/usr/bin/python3"], venv).source, "PATH");
  assert.deepEqual(resolveLaunch([], undefined, ["/usr/bin/python3"], venv), {
    command: venv,
    args: ["serve"],
    source: ".venv",
  });
});

test("findInVenv looks only in the folder's .venv", () => {
  const folder = mkdtempSync(join(tmpdir(), "punie-w-"));
  assert.equal(findInVenv(folder), undefined);
  assert.equal(findInVenv(undefined), undefined);
  const seen: string[] = [];
  findInVenv("/w", (p) => (seen.push(p), false), false);
  findInVenv("C:\\w", (p) => (seen.push(p), false), true);
  assert.deepEqual(seen, [join("/w", ".venv", "bin", "punie-lsp"), join("C:\\w", ".venv", "Scripts", "punie-lsp.exe")]);
});

test("a launch through an interpreter is probed with an import first", () => {
  const conda = resolveLaunch([], undefined, ["/usr/bin/conda", "run", "-n", "x", "python"]);
  assert.deepEqual(probeOf(conda)?.args, ["run", "-n", "x", "python", "-c", "import punie_lsp"]);
  assert.deepEqual(probeOf(resolveLaunch([], undefined, []))?.args, ["-c", "import punie_lsp"]);
  assert.equal(probeOf(resolveLaunch([], "/usr/bin/punie-lsp", undefined)), undefined);
  assert.equal(probeOf(resolveLaunch(["python3", "-m", "punie_lsp", "serve"], undefined, [])), undefined);
});
