// punie.server.command as the settings files on disk say it. The workbench (code-server
// 1.139, measured) does not notice a settings.json that another program wrote until it is
// saved in the editor, so the extension watches the files itself and reads them with VS
// Code's own JSONC parser. Pure apart from the watcher: unit-tested.
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { parse } from "jsonc-parser";

export const COMMAND_KEY = "punie.server.command";

/** The setting in one settings.json's text; undefined where it is absent or not a string list. */
export function commandIn(text: string): string[] | undefined {
  const settings: unknown = parse(text, [], { allowTrailingComma: true });
  if (typeof settings !== "object" || settings === null) {
    return undefined;
  }
  const value = (settings as Record<string, unknown>)[COMMAND_KEY];
  return Array.isArray(value) && value.every((part) => typeof part === "string") ? value : undefined;
}

/** The setting across settings files, a later file (the workspace's) over an earlier (the user's). */
export function commandFromFiles(files: readonly string[]): string[] {
  let command: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // no such file: it sets nothing
    }
    command = commandIn(text) ?? command;
  }
  return command;
}

/** Calls onChange (once per burst of writes) when one of the files is written, created or
 *  replaced: the folders are watched, since editors save by renaming a new file over the old. */
export function watchFiles(files: readonly string[], onChange: () => void): { dispose(): void } {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  for (const folder of new Set(files.map((file) => dirname(file)))) {
    const names = new Set(files.filter((file) => dirname(file) === folder).map((file) => basename(file)));
    try {
      const watcher = watch(folder, (_event, name) => {
        if (name !== null && names.has(name.toString())) {
          clearTimeout(timer);
          timer = setTimeout(onChange, 300);
        }
      });
      watcher.on("error", () => watcher.close());
      watchers.push(watcher);
    } catch {
      // a folder that does not exist yet (no .vscode/): VS Code's own events still apply
    }
  }
  return {
    dispose: () => {
      clearTimeout(timer);
      for (const watcher of watchers) {
        watcher.close();
      }
    },
  };
}
