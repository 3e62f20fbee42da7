// Bundles the extension and its runtime dependencies into dist/extension.js.
import { build } from "esbuild";

await build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  format: "cjs",
  platform: "node",
  target: "node20",
  // ESM builds first: jsonc-parser's UMD build requires its parts at run time, which a
  // bundle cannot resolve ("Cannot find module './impl/format'" in the extension host).
  mainFields: ["module", "main"],
  external: ["vscode"],
  sourcemap: true,
  minify: process.argv.includes("--minify"),
  logLevel: "info",
});
