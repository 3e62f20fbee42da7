import assert from "node:assert/strict";
import { test } from "node:test";
import { isModelState, statusView } from "../../src/statusView";

test("each state has its own view; errors stand out", () => {
  const states = ["starting", "loading", "ready", "error", "off", "stopped"] as const;
  const texts = new Set(states.map((state) => statusView(state, "").text));
  assert.equal(texts.size, states.length);
  assert.equal(statusView("error", "no weights").alert, true);
  assert.equal(statusView("stopped", "").alert, true);
  assert.equal(statusView("ready", "").alert, false);
});

test("the server's message is in the tooltip", () => {
  assert.match(statusView("loading", "caching the system prompt").tooltip, /caching the system prompt/);
  assert.match(statusView("error", "the model could not be loaded: x").tooltip, /could not be loaded: x/);
  assert.match(statusView("ready", "ready: SmolLM2 (3.2 s)").tooltip, /SmolLM2/);
});

test("only known states are accepted from the server", () => {
  assert.ok(isModelState("ready"));
  assert.ok(!isModelState("exploded") && !isModelState(3) && !isModelState(undefined));
});
