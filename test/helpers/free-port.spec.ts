import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "./service-process.js";

// freePort() raced: it handed out an ephemeral port, which the kernel could give to any outgoing
// connection or port-0 listener before the service bound it (EADDRINUSE at start-up).
describe("freePort", () => {
  const firstEphemeral = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);

  it("hands out distinct, bindable ports outside the kernel's ephemeral range", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(firstEphemeral);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(ports[0], "127.0.0.1", resolve);
    });
    server.close();
  });
});
