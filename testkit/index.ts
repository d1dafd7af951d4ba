// What the CLI, the benchmarks and the tests share (none of them imports another): a client's
// side of the transactions flow. Named exports only.
export type { CallbackResponder, ReceivedCallback } from "./callback-receiver.js";
export { CallbackReceiver } from "./callback-receiver.js";
export type { MockClientOptions, MockClientResult } from "./mock-client.js";
export { runMockClient } from "./mock-client.js";
export type { TransactionClient } from "./transaction-client.js";
export { listAllPending, transactionClient } from "./transaction-client.js";
