import assert from "node:assert/strict";
import { test } from "node:test";
import { type Answer, answerMarkdown, fence, isAnswer, ownWords, summary } from "../../src/answer";

// A real reply of the embedded model (punie-lsp ask "Which tests fail in tests/?" --json).
const TOOL: Answer = {
  question: "Which tests fail in tests/?",
  kind: "tool",
  code: 'result = pytest_run("tests")\nprint(f"{result.failed} failed, {result.passed} passed")',
  output: "1 failed, 4 passed\n",
  answer: "1 failed, 4 passed",
  error: null,
  results: [{ tool: "pytest_run", path: "tests", result: { failed: 1, passed: 4 } }],
  timings: { total: 7.66, load: null },
};

const DIRECT: Answer = {
  question: "What does the walrus operator do?",
  kind: "direct",
  code: null,
  output: null,
  answer: "It assigns a value inside an expression.",
  error: null,
  results: [],
  timings: { total: 1.2 },
};

test("isAnswer accepts answers and refuses anything else", () => {
  assert.ok(isAnswer(TOOL) && isAnswer(DIRECT));
  for (const bad of [null, "text", 3, {}, { ...TOOL, kind: "other" }, { ...TOOL, results: null }]) {
    assert.equal(isAnswer(bad), false, JSON.stringify(bad));
  }
});

test("a tool answer shows its output once, the code and what ran", () => {
  const markdown = answerMarkdown(TOOL);
  assert.equal(ownWords(TOOL), "");
  assert.equal(markdown.split("1 failed, 4 passed").length, 2, markdown);
  assert.match(markdown, /```text\n1 failed, 4 passed\n```/);
  assert.match(markdown, /```python\nresult = pytest_run\("tests"\)/);
  assert.equal(summary(TOOL), "pytest_run(tests) · 7.7 s");
  assert.match(markdown, /_pytest_run\(tests\) · 7\.7 s_$/);
});

test("a summed-up tool answer keeps its own words before the output", () => {
  const markdown = answerMarkdown({ ...TOOL, answer: "One test fails: test_fee_rounds_up." });
  assert.ok(markdown.startsWith("One test fails: test_fee_rounds_up.\n\nOutput:"), markdown);
});

test("a direct answer has no output or code blocks", () => {
  assert.equal(answerMarkdown(DIRECT), "It assigns a value inside an expression.\n\n_1.2 s_");
});

test("errors are shown", () => {
  const markdown = answerMarkdown({ ...TOOL, output: "", error: "NameError: name 'x' is not defined" });
  assert.match(markdown, /\*\*Error:\*\* NameError/);
});

test("fences are longer than any backtick run inside", () => {
  assert.equal(fence("a ``` b", "text"), "````text\na ``` b\n````");
  assert.equal(fence("plain\n"), "```\nplain\n```");
});
