import { Redis } from "ioredis";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offsetsKey } from "../../runtime/state/redis-state-store.js";
import { launchBrowser, numberOf, screenshot, textOf, VIEWPORTS } from "../helpers/browser.js";
import { ConsoleStack } from "../helpers/console-stack.js";
import { stackEnv } from "../helpers/stack-env.js";

// A test-owned ping counter is frozen (SIGSTOP) while pings arrive: the console's overview shows
// the lag its stored offsets imply and the counter as down; after SIGCONT the lag drains to 0.
const stack = new ConsoleStack("consolechaos");
const redis = new Redis(stackEnv.REDIS_URL);
let browser: Browser;

beforeAll(async () => {
  await stack.setUpStack();
  await stack.start("gateway", "ping-counter");
  await stack.startConsole();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  const counter = stack.services["ping-counter"];
  if (counter?.pid !== undefined && counter.running) process.kill(counter.pid, "SIGCONT");
  await browser?.close();
  await stack.close();
  redis.disconnect();
});

/** Lag of the counter from its stored offsets in Dragonfly against the end offsets, as the console computes it. */
async function storedLag(): Promise<number> {
  const topic = stack.platform.topic("pings");
  const stored = await redis.hgetall(offsetsKey(`${stack.id}:`, "ping-counter"));
  const ends = await stack.platform.kafka.partitionOffsets(topic);
  return ends.reduce((n, e) => n + Math.max(0, e.high - Number(stored[`${topic}:${e.partition}`] ?? e.low)), 0);
}

describe("console lag while a processor is stopped", () => {
  it("shows the stored-offset lag during SIGSTOP and its drain after SIGCONT", { timeout: 180_000 }, async () => {
    const counter = stack.service("ping-counter");
    const pid = counter.pid ?? 0;
    const page: Page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    await page.goto(`${stack.urlOf("console")}/`);
    await page.waitForFunction(() => document.body.dataset.updatedAt !== undefined, undefined, { timeout: 10_000 });
    const ping = () => stack.call("ping.v1.PingService/Ping", { timestampMs: String(Date.now()) });
    await ping();
    const total = '[data-processor="ping-counter"] [data-field="total-lag"]';
    await expect.poll(() => numberOf(page, total), { timeout: 15_000 }).toBe(0);

    process.kill(pid, "SIGSTOP");
    try {
      for (let i = 0; i < 40; i++) await ping();
      const expected = await storedLag();
      expect(expected).toBe(40);
      await expect.poll(() => numberOf(page, total), { timeout: 10_000 }).toBe(expected);
      // Per partition: the page's lag cells add up to the same number.
      const cells = await page.locator('[data-processor="ping-counter"] [data-field="lag"]').allTextContents();
      expect(cells.reduce((n, t) => n + Number(t.replaceAll(",", "")), 0)).toBe(expected);
      // A frozen process answers no /readyz: its badge says down, with the reason.
      await expect
        .poll(() => textOf(page, '[data-processor="ping-counter"] h3'), { timeout: 10_000 })
        .toContain("down");
      await screenshot(page, "chaos-overview-lag-while-stopped");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await expect.poll(() => numberOf(page, total), { timeout: 60_000, interval: 500 }).toBe(0);
    expect(await storedLag()).toBe(0);
    await expect.poll(() => textOf(page, '[data-processor="ping-counter"] h3'), { timeout: 30_000 }).toContain("ready");
    await screenshot(page, "chaos-overview-drained");
    await page.close();
  });
});
