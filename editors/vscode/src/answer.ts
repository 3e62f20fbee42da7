// The answer punie-lsp returns for `punie.ask`, and its Markdown. Pure: unit-tested.

export interface ToolRun {
  tool: string;
  path: string;
  result: Record<string, unknown>;
}

export interface Answer {
  question: string;
  kind: "tool" | "direct";
  code: string | null;
  output: string | null;
  answer: string;
  error: string | null;
  results: ToolRun[];
  timings: Record<string, number | null>;
}

export function isAnswer(value: unknown): value is Answer {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  return (
    typeof v.question === "string" &&
    (v.kind === "tool" || v.kind === "direct") &&
    typeof v.answer === "string" &&
    Array.isArray(v.results)
  );
}

/** A fenced block that no backtick run inside the text can close early. */
export function fence(text: string, language = ""): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${language}\n${text.replace(/\n$/, "")}\n${ticks}`;
}

/** What ran and how long it took, in one line: "pytest_run(tests) · 7.7 s". */
export function summary(answer: Answer): string {
  const runs = answer.results.map((run) => `${run.tool}(${run.path})`);
  const total = answer.timings.total;
  const time = typeof total === "number" ? `${total.toFixed(1)} s` : "";
  return [...runs, time].filter((part) => part !== "").join(" · ");
}

/** The answer's words; a tool answer that only repeats its output has none of its own. */
export function ownWords(answer: Answer): string {
  const words = answer.answer.trim();
  if (answer.kind === "tool" && words === (answer.output ?? "").trim()) {
    return "";
  }
  return words;
}

/** The whole answer as Markdown (the chat view shows exactly this). */
export function answerMarkdown(answer: Answer): string {
  const parts: string[] = [];
  const words = ownWords(answer);
  if (words !== "") {
    parts.push(words);
  }
  if (answer.kind === "tool" && answer.output !== null && answer.output.trim() !== "") {
    parts.push("Output:", fence(answer.output, "text"));
  }
  if (answer.error !== null) {
    parts.push(`**Error:** ${answer.error}`);
  }
  if (answer.code !== null) {
    parts.push("The code the model ran in the sandbox:", fence(answer.code, "python"));
  }
  const line = summary(answer);
  if (line !== "") {
    parts.push(`_${line}_`);
  }
  return parts.join("\n\n");
}
