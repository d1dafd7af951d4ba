import type { ServerResponse } from "node:http";
import type { Logger } from "../runtime/observability/logger.js";
import type { Sections } from "./pages/layout.js";

type Compute = () => Promise<{ sections: Sections; charts: Readonly<Record<string, unknown>> }>;

interface Channel {
  readonly clients: Set<ServerResponse>;
  readonly timer: NodeJS.Timeout;
  /** Last HTML sent per section: only sections that changed go out again. */
  readonly last: Map<string, string>;
  lastCharts: string;
  busy: boolean;
}

/** Writes one server-sent event. */
export function sendEvent(res: ServerResponse, data: unknown, event?: string): void {
  res.write(`${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
}

/**
 * One refresh loop per distinct page (and filters), shared by every browser that has it open and
 * stopped when the last one leaves: ten open tabs cost the stack one set of queries per second.
 */
export class LiveHub {
  readonly #channels = new Map<string, Channel>();

  constructor(
    readonly refreshIntervalMs: number,
    readonly log: Logger,
  ) {}

  get streams(): number {
    let n = 0;
    for (const c of this.#channels.values()) n += c.clients.size;
    return n;
  }

  subscribe(key: string, res: ServerResponse, compute: Compute): void {
    let channel = this.#channels.get(key);
    if (channel === undefined) {
      const created: Channel = {
        clients: new Set(),
        last: new Map(),
        lastCharts: "",
        busy: false,
        timer: setInterval(() => void this.#tick(created, compute), this.refreshIntervalMs),
      };
      channel = created;
      this.#channels.set(key, created);
    } else if (channel.last.size > 0) {
      // A late joiner gets the latest state at once.
      sendEvent(res, { sections: Object.fromEntries(channel.last), charts: JSON.parse(channel.lastCharts || "{}") });
    }
    channel.clients.add(res);
    const joined = channel;
    res.on("close", () => {
      joined.clients.delete(res);
      if (joined.clients.size === 0) {
        clearInterval(joined.timer);
        this.#channels.delete(key);
      }
    });
  }

  async #tick(channel: Channel, compute: Compute): Promise<void> {
    if (channel.busy || channel.clients.size === 0) return;
    channel.busy = true;
    try {
      const { sections, charts } = await compute();
      const changed: Record<string, string> = {};
      for (const [id, html] of Object.entries(sections)) {
        if (channel.last.get(id) !== html.text) {
          changed[id] = html.text;
          channel.last.set(id, html.text);
        }
      }
      const chartsJson = JSON.stringify(charts);
      const chartsChanged = chartsJson !== channel.lastCharts;
      channel.lastCharts = chartsJson;
      const payload = { sections: changed, charts: chartsChanged ? charts : {}, atMs: Date.now() };
      for (const res of channel.clients) sendEvent(res, payload);
    } catch (err) {
      for (const res of channel.clients) sendEvent(res, { error: String(err) }, "console-error");
    } finally {
      channel.busy = false;
    }
  }

  close(): void {
    for (const c of this.#channels.values()) {
      clearInterval(c.timer);
      for (const res of c.clients) res.end();
    }
    this.#channels.clear();
  }
}
