import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedAddress } from "./guarded-resolve.js";
import { HostGate } from "./host-gate.js";
import { OutboundClient, type OutboundClientOptions } from "./outbound-client.js";
import { OutboundError } from "./outbound-error.js";
import { OutboundPolicy } from "./outbound-policy.js";
import { SSRF_LITERAL_CORPUS, SSRF_REBINDING_ANSWERS } from "./ssrf-corpus.js";

const gate = { maxConcurrentPerHost: 4, maxQueuedPerHost: 100, circuitFailureThreshold: 3, circuitOpenMs: 60_000 };

function client(overrides: Partial<OutboundClientOptions> = {}): OutboundClient {
  return new OutboundClient({
    name: "test",
    policy: new OutboundPolicy({ cidrs: ["127.0.0.1/32"], hosts: [] }),
    gate,
    connectTimeoutMs: 1_000,
    maxResponseBytes: 1_024,
    maxConnectionsPerHost: 8,
    ...overrides,
  });
}

const get = (c: OutboundClient, url: string, timeoutMs = 2_000) =>
  c.request({ method: "GET", url, headers: {}, timeoutMs, signal: new AbortController().signal });

async function refusal(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OutboundError) return err;
    throw err;
  }
  throw new Error("the call was not refused");
}

describe("refused before any connection (injected resolver and dialer)", () => {
  it.each(SSRF_LITERAL_CORPUS)("%s: blocked, nothing resolved or dialled", async (target) => {
    const resolved: string[] = [];
    const dialled: string[] = [];
    const c = client({
      policy: new OutboundPolicy(),
      resolver: async (name) => {
        resolved.push(name);
        return [{ address: "93.184.215.14", family: 4 }];
      },
      dial: (options, callback) => {
        dialled.push(options.hostname);
        callback(new Error("the test dialer never connects"), null);
      },
    });
    const err = await refusal(get(c, target));
    expect(err.kind).toBe("blocked");
    expect(err.canRetry).toBe(false);
    expect(dialled).toEqual([]);
    expect(resolved).toEqual([]);
    await c.close();
  });

  it.each(SSRF_REBINDING_ANSWERS)(
    "%s resolving to %s: blocked after resolution, never dialled",
    async (name, answer) => {
      const dialled: string[] = [];
      const c = client({
        policy: new OutboundPolicy(),
        resolver: async () => [{ address: answer, family: answer.includes(":") ? 6 : 4 }],
        dial: (options, callback) => {
          dialled.push(options.hostname);
          callback(new Error("the test dialer never connects"), null);
        },
      });
      const err = await refusal(get(c, `http://${name}/x`));
      expect(err.kind).toBe("blocked");
      expect(err.message).toContain(`${name} resolves to`);
      expect(dialled).toEqual([]);
      await c.close();
    },
  );

  it("a name with one blocked answer among public ones is refused", async () => {
    const c = client({
      policy: new OutboundPolicy(),
      resolver: async () => [
        { address: "93.184.215.14", family: 4 },
        { address: "10.0.0.7", family: 4 },
      ],
      dial: (_o, callback) => callback(new Error("never"), null),
    });
    expect((await refusal(get(c, "http://mixed.example/"))).message).toContain("10.0.0.7 is private");
    await c.close();
  });

  it("dials exactly the checked address of a public name, keeping the name for Host/SNI", async () => {
    const dialled: { hostname: string; host: string | undefined }[] = [];
    const c = client({
      policy: new OutboundPolicy(),
      resolver: async () => [{ address: "93.184.215.14", family: 4 }],
      dial: (options, callback) => {
        dialled.push({ hostname: options.hostname, host: options.host });
        callback(new Error("the test dialer never connects"), null);
      },
    });
    const err = await refusal(get(c, "https://partner.example/x"));
    expect(err.kind).toBe("connection");
    expect(dialled[0]).toEqual({ hostname: "93.184.215.14", host: "partner.example" });
    await c.close();
  });
});

describe("live calls to an allow-listed 127.0.0.1", () => {
  let server: Server;
  let base = "";
  const seen: { url: string; host: string | undefined }[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const hanging: ServerResponse[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ url: req.url ?? "", host: req.headers.host });
      if (req.url === "/redirect") res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      else if (req.url === "/big") res.end(Buffer.alloc(1_000_000, 97));
      else if (req.url === "/hang") hanging.push(res);
      else if (req.url === "/slow") {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        setTimeout(() => {
          concurrent--;
          res.end("ok");
        }, 50);
      } else res.end("hello");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("reaches a name resolved to 127.0.0.1 with its Host header, and checks again per connection", async () => {
    let answer: ResolvedAddress = { address: "127.0.0.1", family: 4 };
    const port = (server.address() as AddressInfo).port;
    const c = client({ resolver: async () => [answer], maxConnectionsPerHost: 1 });
    const response = await get(c, `http://partner.test:${port}/hi`);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe("hello");
    expect(seen.at(-1)).toEqual({ url: "/hi", host: `partner.test:${port}` });
    // DNS now answers a private address: a fresh connection is refused, the old one is not reused.
    answer = { address: "10.0.0.1", family: 4 };
    await c.close();
    const fresh = client({ resolver: async () => [answer] });
    expect((await refusal(get(fresh, `http://partner.test:${port}/hi`))).kind).toBe("blocked");
    await fresh.close();
  });

  it("does not follow redirects", async () => {
    const c = client();
    const before = seen.length;
    const response = await get(c, `${base}/redirect`);
    expect(response.status).toBe(302);
    expect(seen.length).toBe(before + 1);
    await c.close();
  });

  it("reads at most maxResponseBytes of a body", async () => {
    const c = client();
    const response = await get(c, `${base}/big`);
    expect(response.body.length).toBe(1_024);
    expect(response.truncated).toBe(true);
    await c.close();
  });

  it("bounds every call in time, and opens the circuit after repeated timeouts", async () => {
    const c = client();
    for (let i = 0; i < gate.circuitFailureThreshold; i++) {
      expect((await refusal(get(c, `${base}/hang`, 200))).kind).toBe("timeout");
    }
    const before = seen.length;
    const open = await refusal(get(c, `${base}/hang`, 200));
    expect(open.kind).toBe("circuit_open");
    expect(open.canRetry).toBe(true);
    expect(open.retryAfterMs).toBeGreaterThan(0);
    expect(seen.length).toBe(before);
    await c.close();
  });

  it("caps requests in flight per destination", async () => {
    const c = client();
    await Promise.all(Array.from({ length: 20 }, () => get(c, `${base}/slow`)));
    expect(maxConcurrent).toBeLessThanOrEqual(gate.maxConcurrentPerHost);
    expect(maxConcurrent).toBeGreaterThan(1);
    await c.close();
  });

  it("a destination not allow-listed stays blocked even on 127.0.0.1's neighbours", async () => {
    const c = client();
    expect((await refusal(get(c, "http://127.0.0.2:1/x"))).kind).toBe("blocked");
    await c.close();
  });
});

describe("host gate", () => {
  const never = new AbortController().signal;

  it("a healthy destination's overflow waits instead of failing", async () => {
    const gate = new HostGate({
      maxConcurrentPerHost: 2,
      maxQueuedPerHost: 0,
      circuitFailureThreshold: 3,
      circuitOpenMs: 1_000,
    });
    const releases = await Promise.all([gate.acquire("h", never), gate.acquire("h", never)]);
    const waiting = Array.from({ length: 10 }, () => gate.acquire("h", never));
    for (const release of releases) release("success");
    for (const w of waiting) (await w)("success");
  });

  it("a slow destination keeps at most maxQueuedPerHost waiters; the rest fail fast as host_busy", async () => {
    let nowMs = 0;
    const gate = new HostGate({
      maxConcurrentPerHost: 1,
      maxQueuedPerHost: 2,
      circuitFailureThreshold: 3,
      circuitOpenMs: 1_000,
      slowAfterMs: 100,
      now: () => nowMs,
    });
    const release = await gate.acquire("h", never);
    nowMs = 500; // the request in flight is now older than slowAfterMs
    const queued = [gate.acquire("h", never), gate.acquire("h", never)];
    const busy = await refusal(gate.acquire("h", never));
    expect(busy.kind).toBe("host_busy");
    expect(busy.canRetry).toBe(true);
    release("success");
    (await queued[0])?.("success");
    (await queued[1])?.("success");
  });

  it("a half-open circuit lets one probe through; its success closes the circuit", async () => {
    let nowMs = 0;
    const gate = new HostGate({
      maxConcurrentPerHost: 4,
      maxQueuedPerHost: 4,
      circuitFailureThreshold: 1,
      circuitOpenMs: 100,
      now: () => nowMs,
    });
    (await gate.acquire("h", never))("failure");
    expect(gate.openCircuits()).toBe(1);
    expect((await refusal(gate.acquire("h", never))).kind).toBe("circuit_open");
    nowMs = 200;
    const probe = await gate.acquire("h", never);
    expect((await refusal(gate.acquire("h", never))).message).toContain("probe running");
    probe("success");
    (await gate.acquire("h", never))("success");
    expect(gate.openCircuits()).toBe(0);
  });
});

describe("DNS failures", () => {
  it("a name that does not exist is final; a resolver hiccup is retried", async () => {
    const failing = (code: string) =>
      client({
        resolver: async () => {
          throw Object.assign(new Error(code), { code });
        },
        dial: (_o, callback) => callback(new Error("never"), null),
      });
    const missing = failing("ENOTFOUND");
    expect(await refusal(get(missing, "http://nothing.invalid/"))).toMatchObject({
      kind: "invalid_target",
      canRetry: false,
    });
    await missing.close();
    const hiccup = failing("EAI_AGAIN");
    expect(await refusal(get(hiccup, "http://partner.example/"))).toMatchObject({ kind: "connection", canRetry: true });
    await hiccup.close();
  });
});
