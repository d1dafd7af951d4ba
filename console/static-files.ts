import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** console/static beside the sources (dist/console/… → console/static), served as they are. */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.includes(`${join("dist", "console")}`) ? join(here, "..", "..") : join(here, "..");
  return join(root, "console", "static");
}

const require = createRequire(import.meta.url);

/** Files the pages load: our script and style, and uPlot from node_modules (no CDN). */
function filesOf(): Record<string, { path: string; type: string }> {
  const uplot = dirname(require.resolve("uplot/package.json"));
  const dir = staticDir();
  return {
    "console.js": { path: join(dir, "console.js"), type: "text/javascript; charset=utf-8" },
    "console.css": { path: join(dir, "console.css"), type: "text/css; charset=utf-8" },
    "uPlot.iife.min.js": { path: join(uplot, "dist", "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "uPlot.min.css": { path: join(uplot, "dist", "uPlot.min.css"), type: "text/css; charset=utf-8" },
  };
}

export class StaticFiles {
  readonly #files = filesOf();
  readonly #cache = new Map<string, Buffer>();

  /** The file's bytes and content type, or undefined for an unknown name. */
  async get(name: string): Promise<{ body: Buffer; type: string } | undefined> {
    const file = this.#files[name];
    if (file === undefined) return undefined;
    let body = this.#cache.get(name);
    if (body === undefined) {
      body = await readFile(file.path);
      this.#cache.set(name, body);
    }
    return { body, type: file.type };
  }
}
