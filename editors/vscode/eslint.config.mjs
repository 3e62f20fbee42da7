import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", "e2e/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["media/**/*.js"],
    languageOptions: { globals: { window: "readonly", document: "readonly", acquireVsCodeApi: "readonly" } },
  },
);
