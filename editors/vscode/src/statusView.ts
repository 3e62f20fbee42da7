// What the status bar item says for each state of the model. Pure: unit-tested.

/** The model's state as punie/status reports it, plus the client's own. */
export type ModelState = "starting" | "loading" | "ready" | "error" | "off" | "stopped";

export interface StatusView {
  text: string;
  tooltip: string;
  /** Errors get the warning background so they are noticed. */
  alert: boolean;
}

export function statusView(state: ModelState, message: string): StatusView {
  const detail = message.trim();
  switch (state) {
    case "starting":
      return { text: "$(sync~spin) Punie", tooltip: "punie-lsp is starting", alert: false };
    case "loading":
      return {
        text: "$(loading~spin) Punie: loading",
        tooltip: `Loading the model: ${detail || "starting"}`,
        alert: false,
      };
    case "ready":
      return {
        text: "$(check) Punie",
        tooltip: `${detail || "ready"}. Click to ask a question.`,
        alert: false,
      };
    case "error":
      return {
        text: "$(error) Punie",
        tooltip: `The model could not be loaded: ${detail}. Click for the logs.`,
        alert: true,
      };
    case "off":
      return {
        text: "$(circle-slash) Punie",
        tooltip: `${detail || "The model is off"}: diagnostics only.`,
        alert: false,
      };
    case "stopped":
      return {
        text: "$(debug-disconnect) Punie",
        tooltip: `punie-lsp is not running${detail ? `: ${detail}` : ""}. Click for the logs.`,
        alert: true,
      };
  }
}

export function isModelState(value: unknown): value is ModelState {
  return (
    typeof value === "string" &&
    ["starting", "loading", "ready", "error", "off", "stopped"].includes(value)
  );
}
