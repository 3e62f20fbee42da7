// How the server is started: the user's command, else punie-lsp on PATH, else the selected
// Python interpreter running the package. Pure (no vscode import) so it is unit-tested.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface Launch {
  command: string;
  args: string[];
  /** Where the command came from, for messages: "setting", "PATH", "interpreter", "python3". */
  source: string;
}

export function resolveLaunch(
  configured: readonly string[],
  onPath: string | undefined,
  interpreter: readonly string[] | undefined,
): Launch {
  const [command, ...args] = configured.filter((part) => part.trim() !== "");
  if (command !== undefined) {
    return { command, args, source: "setting" };
  }
  if (onPath !== undefined) {
    return { command: onPath, args: ["serve"], source: "PATH" };
  }
  if (interpreter !== undefined && interpreter.length > 0) {
    const [python, ...rest] = interpreter;
    return { command: python, args: [...rest, "-m", "punie_lsp", "serve"], source: "interpreter" };
  }
  return { command: "python3", args: ["-m", "punie_lsp", "serve"], source: "python3" };
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on the search path (Windows: also with its extensions). */
export function findOnPath(
  name: string,
  searchPath: string | undefined = process.env.PATH,
  executable: (path: string) => boolean = isExecutable,
  extensions: readonly string[] = process.platform === "win32" ? [".exe", ".cmd", ""] : [""],
): string | undefined {
  for (const dir of (searchPath ?? "").split(delimiter)) {
    if (dir === "") {
      continue;
    }
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      if (executable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

export function describeLaunch(launch: Launch): string {
  return [launch.command, ...launch.args].join(" ");
}
