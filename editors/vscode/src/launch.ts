// How the server is started: the user's command, else punie-lsp on PATH or in the workspace's
// .venv, else the selected Python interpreter running the package. Pure (no vscode import) so
// it is unit-tested.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface Launch {
  command: string;
  args: string[];
  /** Where it came from, for messages: "setting", "PATH", ".venv", "interpreter", "python3". */
  source: string;
}

export function resolveLaunch(
  configured: readonly string[],
  onPath: string | undefined,
  interpreter: readonly string[] | undefined,
  inVenv: string | undefined = undefined,
): Launch {
  const [command, ...args] = configured.filter((part) => part.trim() !== "");
  if (command !== undefined) {
    return { command, args, source: "setting" };
  }
  if (onPath !== undefined) {
    return { command: onPath, args: ["serve"], source: "PATH" };
  }
  if (inVenv !== undefined) {
    return { command: inVenv, args: ["serve"], source: ".venv" };
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

/** punie-lsp in the workspace folder's .venv (a clone set up with `uv sync` has it there). */
export function findInVenv(
  folder: string | undefined,
  executable: (path: string) => boolean = isExecutable,
  windows: boolean = process.platform === "win32",
): string | undefined {
  if (folder === undefined) {
    return undefined;
  }
  const candidate = windows
    ? join(folder, ".venv", "Scripts", "punie-lsp.exe")
    : join(folder, ".venv", "bin", "punie-lsp");
  return executable(candidate) ? candidate : undefined;
}

/**
 * For a launch that runs the package through an interpreter (`... -m punie_lsp serve`), the
 * same interpreter importing it and nothing else: run first, it tells "not installed there"
 * in one clear message instead of a server that crashes at every restart. Undefined for the
 * other launches (an executable that exists, or the user's own command).
 */
export function probeOf(launch: Launch): Launch | undefined {
  const tail = ["-m", "punie_lsp", "serve"];
  const args = launch.args;
  const runsPackage = tail.every((part, i) => args[args.length - tail.length + i] === part);
  if (!(launch.source === "interpreter" || launch.source === "python3") || !runsPackage) {
    return undefined;
  }
  return { ...launch, args: [...args.slice(0, -tail.length), "-c", "import punie_lsp"] };
}

export function describeLaunch(launch: Launch): string {
  return [launch.command, ...launch.args].join(" ");
}
