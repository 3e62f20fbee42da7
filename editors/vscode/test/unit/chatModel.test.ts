import assert from "node:assert/strict";
import { test } from "node:test";
import { CHAT_MODEL, lastUserText } from "../../src/chatModel";

// LanguageModelChatMessageRole: User = 1, Assistant = 2.
const text = (value: string) => ({ value });

test("the question is the last user message's text, history and other parts aside", () => {
  const messages = [
    { role: 1, content: [text("Which tests fail?")] },
    { role: 2, content: [text("1 failed, 4 passed")] },
    { role: 1, content: [text("How many type "), { callId: "x", input: {} }, text("errors are in src/? ")] },
    { role: 2, content: [] },
  ];
  assert.equal(lastUserText(messages), "How many type errors are in src/?");
});

test("a chat with no user text has no question", () => {
  assert.equal(lastUserText([]), "");
  assert.equal(lastUserText([{ role: 1, content: [text("  "), 42, null] }, { role: 2, content: [text("hi")] }]), "");
});

test("the model is listed in the Chat view's default (Agent) mode", () => {
  // The picker lists a model in Agent mode only if it declares tool calling, and at all only
  // if it is user-selectable.
  assert.equal(CHAT_MODEL.capabilities.toolCalling, true);
  assert.equal(CHAT_MODEL.isUserSelectable, true);
});
