import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", "e2e/node_modules/", "e2e/.node/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["e2e/**/*.mjs", "*.mjs"],
    languageOptions: {
      globals: { console: "readonly", process: "readonly", fetch: "readonly", setTimeout: "readonly" },
    },
  },
  {
    files: ["media/**/*.js"],
    languageOptions: { globals: { window: "readonly", document: "readonly", acquireVsCodeApi: "readonly" } },
  },
);
