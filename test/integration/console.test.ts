import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDRIVE_HEADER } from "../../runtime/dead-letters/redrive.js";
import { DLQ_HEADERS } from "../../runtime/processor/dead-letter.js";
import { CallbackReceiver } from "../../testkit/index.js";
import {
  cpuSecondsOf,
  launchBrowser,
  numberOf,
  screenshot,
  seriousViolations,
  textOf,
  VIEWPORTS,
} from "../helpers/browser.js";
import { ConsoleStack, REDRIVE_TOKEN } from "../helpers/console-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { waitUntil } from "../helpers/wait-until.js";

// The console against its own flow stack, in headless Chromium (Debian's, via playwright-core):
// the numbers on the pages are the API's, a poison record shows in the DLQ view and redrive moves
// it, every page passes axe-core at desktop and phone widths, and the console's CPU is measured.
const stack = new ConsoleStack("console");
let receiver: CallbackReceiver;
let browser: Browser;
let consoleUrl = "";
const CLIENT = "console-client";
/** "Within the refresh interval": 1 s refresh, plus the processors' own flush and the page's fetch. */
const LIVE_MS = 15_000;

beforeAll(async () => {
  receiver = await CallbackReceiver.start();
  await stack.setUpStack();
  await stack.start(
    "gateway",
    "ping-counter",
    "pings-sink",
    "transaction-timer",
    "callback-dispatcher",
    "transactions-sink",
  );
  await stack.startConsole();
  consoleUrl = stack.urlOf("console");
  browser = await launchBrowser();
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await stack.close();
  await receiver?.close();
});

async function open(path: string, viewport: keyof typeof VIEWPORTS = "desktop"): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
  // Generous bounds: the machine is shared (load averages of 20+ seen), these are not timing checks.
  page.setDefaultTimeout(60_000);
  await page.goto(`${consoleUrl}${path}`);
  // Live: the event stream delivered at least one update.
  await page.waitForFunction(() => document.body.dataset.updatedAt !== undefined, undefined, { timeout: 30_000 });
  return page;
}

interface PingCountJson {
  total?: string;
  source?: string;
  minutes?: { minute: string; count: string }[];
}

describe("console pages show what the APIs answer", () => {
  const baseMinute = Math.floor(Date.now() / 60_000) - 10;
  const range = { fromMs: (baseMinute - 5) * 60_000, toMs: (baseMinute + 6) * 60_000 };
  const pingIds: string[] = [];

  async function ping(minute: number): Promise<void> {
    const answer = await stack.call<{ id: string }>("ping.v1.PingService/Ping", {
      timestampMs: String(minute * 60_000 + 1_000),
    });
    pingIds.push(answer.id);
  }

  async function apiCounts(): Promise<PingCountJson> {
    return stack.call<PingCountJson>("ping.v1.PingService/PingCount", {
      fromMs: String(range.fromMs),
      toMs: String(range.toMs),
    });
  }

  it("Pings: total, per-minute counts and source match PingCount, and follow new pings live", async () => {
    for (let i = 0; i < 7; i++) await ping(baseMinute);
    for (let i = 0; i < 3; i++) await ping(baseMinute + 2);
    await waitUntil(async () => Number((await apiCounts()).total ?? 0) === 10, {
      timeoutMs: 20_000,
      describe: async () => JSON.stringify(await apiCounts()),
    });
    const page = await open(`/pings?from=${range.fromMs}&to=${range.toMs}`);
    await page.evaluate(() => {
      (window as unknown as { noReload: boolean }).noReload = true;
    });
    const api = await apiCounts();
    await expect.poll(() => numberOf(page, '[data-field="total"]'), { timeout: LIVE_MS }).toBe(Number(api.total));
    expect((await textOf(page, '[data-field="source"]')).toLowerCase()).toContain(api.source);
    for (const m of api.minutes ?? []) {
      expect(await numberOf(page, `[data-minute="${m.minute}"] td`)).toBe(Number(m.count));
    }
    // Five more: the open page shows the new total without a reload.
    for (let i = 0; i < 5; i++) await ping(baseMinute + 4);
    await waitUntil(async () => Number((await apiCounts()).total ?? 0) === 15, {
      timeoutMs: 20_000,
      describe: async () => JSON.stringify(await apiCounts()),
    });
    await expect.poll(() => numberOf(page, '[data-field="total"]'), { timeout: LIVE_MS }).toBe(15);
    expect(await numberOf(page, `[data-minute="${baseMinute + 4}"] td`)).toBe(5);
    expect(await page.evaluate(() => (window as unknown as { noReload?: boolean }).noReload)).toBe(true);
    await page.close();
  });

  it("Overview: end offsets per topic and lag per processor from the stored offsets", async () => {
    const page = await open("/");
    const ends = await stack.platform.kafka.partitionOffsets(stack.platform.topic("pings"));
    const endTotal = ends.reduce((n, o) => n + o.high, 0);
    expect(endTotal).toBe(15);
    await expect
      .poll(() => numberOf(page, '[data-topic="pings"] [data-field="end-total"]'), { timeout: LIVE_MS })
      .toBe(endTotal);
    // Caught up: the counter and the sink stored every offset with their state.
    await expect
      .poll(() => numberOf(page, '[data-processor="ping-counter"] [data-field="total-lag"]'), { timeout: LIVE_MS })
      .toBe(0);
    await expect
      .poll(() => numberOf(page, '[data-processor="pings-sink"] [data-field="total-lag"]'), { timeout: LIVE_MS })
      .toBe(0);
    for (const o of ends) {
      const row = `[data-processor="ping-counter"] [data-partition="pings:${o.partition}"]`;
      expect(await numberOf(page, `${row} td:nth-of-type(1)`)).toBe(o.high);
    }
    expect(await textOf(page, '[data-processor="ping-counter"] h3')).toContain("ready");
    // A service that is not running shows as down with its error; the rest of the page works.
    const down = await textOf(page, '[data-processor="notification-logger"]');
    expect(down).toContain("down");
    expect(down).toMatch(/ECONNREFUSED|connect/i);
    await page.close();
  });

  it("Topic browser: decoded records with key, headers, partition, offset; key filter; follow mode", async () => {
    const page = await open("/topics/pings?limit=50");
    expect(await page.locator("tbody[data-follow-rows] tr").count()).toBe(15);
    const id = pingIds[3] ?? "";
    await page.goto(`${consoleUrl}/topics/pings?key=${id}`);
    const rows = page.locator("tbody[data-follow-rows] tr");
    expect(await rows.count()).toBe(1);
    const row = await rows.first().textContent();
    expect(row).toContain(id);
    expect(row).toContain('"timestampMs"');
    expect(row).toContain("tributary.schema-id");
    // Follow: a new ping appears at the top without a reload.
    await page.goto(`${consoleUrl}/topics/pings?follow=1&limit=5`);
    await page.waitForFunction(() => document.body.dataset.updatedAt !== undefined, undefined, { timeout: 30_000 });
    await page.waitForTimeout(1_500); // the follow consumer joins its group
    await ping(baseMinute + 5);
    const fresh = pingIds.at(-1) ?? "";
    await expect
      .poll(async () => (await page.locator("tbody[data-follow-rows] tr").first().textContent()) ?? "", {
        timeout: 15_000,
      })
      .toContain(fresh);
    await page.close();
  });

  it("Transactions: pending per client from ListPending, outcomes from transaction_outcomes, timeouts with attempts", async () => {
    const start = (id: string, timeoutSeconds: number) =>
      stack.call("transactions.v1.TransactionService/Start", {
        clientId: CLIENT,
        transactionType: "console",
        transactionId: id,
        callbackTarget: receiver.target(),
        payloadJson: `{"id":"${id}"}`,
        timeoutSeconds,
      });
    const ids = {
      timedOut: `${stack.id}-late`,
      stopped: `${stack.id}-done`,
      open1: `${stack.id}-open1`,
      open2: `${stack.id}-open2`,
    };
    await start(ids.timedOut, 1);
    await start(ids.stopped, 60);
    await stack.call("transactions.v1.TransactionService/Stop", { transactionId: ids.stopped });
    await start(ids.open1, 3_600);
    await start(ids.open2, 3_600);
    await waitUntil(() => receiver.forTransaction(ids.timedOut).length > 0, {
      timeoutMs: 30_000,
      describe: () => "no callback",
    });
    const outcomesSql = async () =>
      (
        await stack
          .db()
          .query<{ outcome: string; n: string }>(
            "SELECT outcome, count(*) AS n FROM transaction_outcomes GROUP BY outcome",
          )
      ).rows;
    await waitUntil(async () => (await outcomesSql()).some((r) => r.outcome === "callback_delivered"), {
      timeoutMs: 30_000,
      describe: async () => JSON.stringify(await outcomesSql()),
    });
    const pending = await stack.call<{ pending?: unknown[] }>("transactions.v1.TransactionService/ListPending", {
      clientId: CLIENT,
    });
    expect(pending.pending?.length).toBe(2);
    const page = await open("/transactions");
    await expect
      .poll(() => numberOf(page, `[data-client="${CLIENT}"] [data-field="pending"]`), { timeout: LIVE_MS })
      .toBe(2);
    for (const r of await outcomesSql()) {
      await expect
        .poll(() => numberOf(page, `[data-outcome="${r.outcome}"] [data-field="count"]`), { timeout: LIVE_MS })
        .toBe(Number(r.n));
    }
    const timeout = await textOf(page, `[data-transaction="${ids.timedOut}"]`);
    expect(timeout).toContain("delivered");
    expect(timeout).toMatch(/#1 .*→ delivered/);
    await page.close();
  });

  it("Deliveries: a poison record shows in the DLQ view with its reason, and redrive moves it to its source", async () => {
    const producer = await stack.platform.producer();
    const source = stack.platform.topic("transactions.timeouts");
    await producer.send(source, { key: "poison-1", value: Buffer.from("not protobuf at all"), headers: {} });
    const page = await open("/deliveries");
    const row = page.locator('[data-live="dlq"] tr[data-record]').first();
    await expect
      .poll(async () => (await row.count()) === 1 && ((await row.textContent()) ?? "").includes("poison-1"), {
        timeout: 30_000,
      })
      .toBe(true);
    const reason = await textOf(page, '[data-live="dlq"] tr[data-record] [data-field="reason"]');
    expect(reason.length).toBeGreaterThan(0);
    const dlqRecords = await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts.dlq"));
    expect(dlqRecords).toHaveLength(1);
    expect(reason).toBe(dlqRecords[0]?.headers[DLQ_HEADERS.reason]);
    // A wrong token is refused; nothing moves.
    const refused = await fetch(`${consoleUrl}/api/redrive`, {
      method: "POST",
      body: JSON.stringify({ topic: "transactions.timeouts.dlq", partition: 0, offset: 0, token: "wrong" }),
    });
    expect(refused.status).toBe(403);
    const endsBefore = await stack.topicCount("transactions.timeouts");
    await screenshot(page, "deliveries-dlq-before-redrive");
    await row.locator("button.redrive").click();
    await page.fill("#redrive-token", REDRIVE_TOKEN);
    await page.click("#redrive-confirm");
    await expect
      .poll(() => textOf(page, "#redrive-result"), { timeout: 15_000 })
      .toContain("Redriven to transactions.timeouts");
    await expect
      .poll(() => textOf(page, '[data-live="dlq"] tr[data-record="0:0"] [data-field="redriven"]'), { timeout: LIVE_MS })
      .toContain("transactions.timeouts");
    expect(await stack.topicCount("transactions.timeouts")).toBe(endsBefore + 1);
    const redriven = (await readTopic(stack.platform.kafka, source)).filter((r) => r.key === "poison-1");
    expect(redriven).toHaveLength(2);
    expect(redriven[1]?.headers[REDRIVE_HEADER]).toBeDefined();
    expect(redriven[1]?.headers[DLQ_HEADERS.reason]).toBeUndefined();
    // Still poison: the dispatcher dead-letters the redriven copy again (a new DLQ record).
    await expect.poll(() => page.locator('[data-live="dlq"] tr[data-record]').count(), { timeout: 30_000 }).toBe(2);
    await screenshot(page, "deliveries-dlq-after-redrive");
    await page.close();
  });

  it("Schemas: every typed topic's subject with its versions and .proto text", async () => {
    const page = await open("/schemas");
    const subject = `${stack.prefix}pings-value`;
    await expect.poll(() => textOf(page, `[data-subject="${subject}"]`), { timeout: 30_000 }).toContain("v1");
    const text = await textOf(page, `[data-subject="${subject}"]`);
    expect(text).toContain("message PingRecorded");
    await page.close();
  });
});

describe("console accessibility and layout", () => {
  const pages = ["/", "/topics", "/topics/pings", "/pings", "/transactions", "/deliveries", "/schemas"];
  for (const viewport of ["desktop", "phone"] as const) {
    it(`every page has no serious or critical axe-core violation at ${VIEWPORTS[viewport].width} px`, {
      timeout: 400_000,
    }, async () => {
      const found: string[] = [];
      for (const path of pages) {
        const page = await open(path, viewport);
        const name = `${viewport}-${path === "/" ? "overview" : path.slice(1).replaceAll("/", "-")}`;
        await screenshot(page, name);
        for (const v of await seriousViolations(page))
          found.push(`${path}: ${v.id} (${v.impact}) ${v.help} ${JSON.stringify(v.nodes)}`);
        // Nothing wider than the viewport but the tables' own scroll regions.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 1) found.push(`${path}: page scrolls sideways by ${overflow} px`);
        await page.close();
      }
      expect(found).toEqual([]);
    });
  }
});

describe("console load", () => {
  it("prints the console's CPU while the overview is open for 30 s", async () => {
    const pid = stack.service("console").pid ?? 0;
    const page = await open("/");
    const before = { cpu: cpuSecondsOf(pid), atMs: Date.now() };
    await page.waitForTimeout(30_000);
    const after = { cpu: cpuSecondsOf(pid), atMs: Date.now() };
    const percent = ((after.cpu - before.cpu) / ((after.atMs - before.atMs) / 1000)) * 100;
    console.log(
      `console CPU with the overview open: ${percent.toFixed(2)} % of one core over ${((after.atMs - before.atMs) / 1000).toFixed(1)} s (goal ≤ 5 %)`,
    );
    expect(Number.isFinite(percent)).toBe(true);
    await page.close();
  }, 120_000);
});
