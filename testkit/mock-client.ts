import { randomBytes } from "node:crypto";
import { CallbackReceiver, type ReceivedCallback } from "./callback-receiver.js";
import { listAllPending, type TransactionClient, transactionClient } from "./transaction-client.js";

export interface MockClientOptions {
  /** Gateway base URL. */
  readonly baseUrl: string;
  /** Client id of every Start (seed: "mock-client"). */
  readonly clientId: string;
  /** Timeout of every Start, seconds (seed: 30). */
  readonly timeoutSeconds: number;
  /** Start/Stop pairs in the burst. */
  readonly pairs: number;
  /** Pairs in flight at once during the burst. */
  readonly concurrency: number;
  readonly callbackProtocol: "webhook" | "connect";
  /** Wait past a deadline before concluding a callback is (or is not) coming. */
  readonly graceMs: number;
  readonly log: (line: string) => void;
}

export interface MockClientResult {
  readonly ok: boolean;
  readonly failures: string[];
  readonly runId: string;
  readonly pendingAfterPair: number;
  readonly pendingAfterLoneStart: number;
  readonly loneCallbacks: number;
  /** From the lone Start's deadline to its callback. */
  readonly loneCallbackLatencyMs: number | null;
  readonly burstPairs: number;
  readonly burstCallbacks: number;
  readonly pendingAfterBurst: number;
  readonly elapsedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The seed's mock client, end to end through the gateway: a Start and its Stop leave nothing
 * pending and no callback; a Start alone is called back exactly once, with its data, after its
 * timeout; a burst of Start/Stop pairs produces no callback. A callback receiver of its own runs
 * on 127.0.0.1. Transaction ids carry a run id, so runs do not see each other's transactions.
 */
export async function runMockClient(options: MockClientOptions): Promise<MockClientResult> {
  const { log, clientId, timeoutSeconds } = options;
  const startedAt = Date.now();
  const runId = randomBytes(4).toString("hex");
  const failures: string[] = [];
  const client = transactionClient(options.baseUrl);
  const receiver = await CallbackReceiver.start();
  const callback = receiver.target(options.callbackProtocol);
  const mine = (id: string) => id.startsWith(`${runId}-`);
  const pendingCount = async () =>
    (await listAllPending(client, clientId)).pending.filter((p) => mine(p.transactionId)).length;
  receiver.onCallback((c) => {
    if (!mine(c.timeout.started?.transactionId ?? "")) return;
    log("Yay callback invoked!");
    log(`transaction callback invoked ${describe(c)}`);
  });
  try {
    log(`callback receiver listening on ${callback}`);
    log("About to send a couple of messages");
    const first = `${runId}-abcdefg1234`;
    await start(client, {
      clientId,
      type: "test1",
      id: first,
      callback,
      payload: { Param1: "Germany" },
      timeoutSeconds,
    });
    log("Successfully published first start message");
    await client.stop({ transactionId: first });
    log("Successfully published first stop message");
    log("Checking no records left");
    const pendingAfterPair = await pendingCount();
    log(`Returned ${pendingAfterPair} records`);
    if (pendingAfterPair !== 0) failures.push(`after start+stop, ListPending returned ${pendingAfterPair}, expected 0`);

    log("Sending a Start without a Stop & waiting for the call-back");
    const lone = `${runId}-abcdefg1235`;
    const payload = { Param1: "France" };
    const { deadlineMs } = await start(client, {
      clientId,
      type: "test2",
      id: lone,
      callback,
      payload,
      timeoutSeconds,
    });
    log("Successfully published second start message");
    const pendingAfterLoneStart = await pendingCount();
    log(`Returned ${pendingAfterLoneStart} records`);
    if (pendingAfterLoneStart !== 1)
      failures.push(`after a lone start, ListPending returned ${pendingAfterLoneStart}, expected 1`);
    log("Sleeping for a bit for the Poller to call us back");
    const waitUntil = Number(deadlineMs) + options.graceMs;
    while (receiver.forTransaction(lone).length === 0 && Date.now() < waitUntil) await sleep(20);
    const loneCallback = receiver.forTransaction(lone)[0];
    const loneCallbackLatencyMs = loneCallback === undefined ? null : loneCallback.receivedAtMs - Number(deadlineMs);
    if (loneCallback === undefined) failures.push(`no callback for ${lone} within the timeout + ${options.graceMs} ms`);
    else {
      const s = loneCallback.timeout.started;
      const same =
        s?.clientId === clientId &&
        s.transactionType === "test2" &&
        s.transactionId === lone &&
        s.callbackTarget === callback &&
        s.timeoutSeconds === timeoutSeconds &&
        s.payload.case === "payloadJson" &&
        JSON.stringify(JSON.parse(s.payload.value)) === JSON.stringify(payload);
      if (!same) failures.push(`callback for ${lone} does not carry the Start's data: ${describe(loneCallback)}`);
      if (loneCallback.timeout.idempotencyKey !== loneCallback.key)
        failures.push("Idempotency-Key header differs from the body's");
      if (loneCallback.receivedAtMs < Number(deadlineMs))
        failures.push(`callback for ${lone} came before its deadline`);
    }

    log("Sending a group of starts & stops");
    let next = 0;
    const burstIds: string[] = [];
    const worker = async () => {
      for (let i = next++; i < options.pairs; i = next++) {
        const id = `${runId}-burst-${i}`;
        burstIds.push(id);
        await start(client, { clientId, type: "burst", id, callback, payload: { n: i }, timeoutSeconds });
        await client.stop({ transactionId: id });
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(1, options.pairs)) }, worker));
    log("Finished sending starts & stops");
    log("Sleeping for quite a bit to allow time to receive any callbacks");
    await sleep(timeoutSeconds * 1000 + options.graceMs);
    const burstCallbacks = burstIds.reduce((n, id) => n + receiver.forTransaction(id).length, 0);
    if (burstCallbacks > 0) failures.push(`${burstCallbacks} callbacks for stopped burst transactions`);
    const firstCallbacks = receiver.forTransaction(first).length;
    if (firstCallbacks > 0) failures.push(`${firstCallbacks} callbacks for the stopped first transaction`);
    const loneCallbacks = receiver.forTransaction(lone).length;
    if (loneCallbacks !== 1) failures.push(`${loneCallbacks} callbacks for ${lone}, expected exactly 1`);
    const pendingAfterBurst = await pendingCount();
    if (pendingAfterBurst !== 0) failures.push(`ListPending returned ${pendingAfterBurst} at the end, expected 0`);
    log(failures.length === 0 ? "All good: no unwanted callbacks" : `FAILED: ${failures.join("; ")}`);
    return {
      ok: failures.length === 0,
      failures,
      runId,
      pendingAfterPair,
      pendingAfterLoneStart,
      loneCallbacks,
      loneCallbackLatencyMs,
      burstPairs: options.pairs,
      burstCallbacks,
      pendingAfterBurst,
      elapsedMs: Date.now() - startedAt,
    };
  } finally {
    await receiver.close();
  }
}

async function start(
  client: TransactionClient,
  s: { clientId: string; type: string; id: string; callback: string; payload: object; timeoutSeconds: number },
) {
  return client.start({
    clientId: s.clientId,
    transactionType: s.type,
    transactionId: s.id,
    callbackTarget: s.callback,
    payload: { case: "payloadJson", value: JSON.stringify(s.payload) },
    timeoutSeconds: s.timeoutSeconds,
  });
}

/** The seed's one-line rendering of a callback. */
function describe(c: ReceivedCallback): string {
  const s = c.timeout.started;
  const payload = s?.payload.case === "payloadJson" ? s.payload.value : "";
  return `{${s?.clientId} ${s?.transactionType} ${s?.transactionId} ${s?.callbackTarget} ${payload} ${s?.timeoutSeconds} key=${c.key} via=${c.protocol}}`;
}
