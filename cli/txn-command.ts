import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import {
  ListPendingResponseSchema,
  StartResponseSchema,
  StopResponseSchema,
} from "../gen/transactions/v1/transaction_service_pb.js";
import { runMockClient, transactionClient } from "../testkit/index.js";

export const TXN_USAGE = `  txn start --client C --id X --callback URL [--type T] [--payload JSON] [--timeout-seconds N]
  txn stop --id X
  txn pending --client C          TransactionService/ListPending
  mock-client [--timeout-seconds 30] [--pairs 1000] [--callback webhook|connect]   the seed's scenario
`;

/** `txn start|stop|pending` and `mock-client`; both take --url (default http://127.0.0.1:8080). */
export async function txnCommand(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8080" },
      client: { type: "string", default: "mock-client" },
      id: { type: "string" },
      type: { type: "string", default: "" },
      callback: { type: "string" },
      payload: { type: "string" },
      "timeout-seconds": { type: "string", default: "30" },
      pairs: { type: "string", default: "1000" },
      concurrency: { type: "string", default: "32" },
      "grace-ms": { type: "string", default: "3000" },
    },
  });
  const [command, sub] = positionals;
  const client = transactionClient(values.url);
  const print = (json: unknown) => process.stdout.write(`${JSON.stringify(json)}\n`);
  if (command === "mock-client") {
    const callback = values.callback ?? "webhook";
    if (callback !== "webhook" && callback !== "connect") throw new Error("--callback must be webhook or connect");
    const result = await runMockClient({
      baseUrl: values.url,
      clientId: values.client,
      timeoutSeconds: positiveInt(values["timeout-seconds"], "--timeout-seconds"),
      pairs: positiveInt(values.pairs, "--pairs", 0),
      concurrency: positiveInt(values.concurrency, "--concurrency"),
      callbackProtocol: callback,
      graceMs: positiveInt(values["grace-ms"], "--grace-ms", 0),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
    print(result);
    return result.ok ? 0 : 1;
  }
  switch (sub) {
    case "start": {
      const response = await client.start({
        clientId: values.client,
        transactionType: values.type,
        transactionId: values.id ?? "",
        callbackTarget: values.callback ?? "",
        timeoutSeconds: positiveInt(values["timeout-seconds"], "--timeout-seconds", Number.MIN_SAFE_INTEGER),
        payload: values.payload === undefined ? { case: undefined } : { case: "payloadJson", value: values.payload },
      });
      print(toJson(StartResponseSchema, response));
      return 0;
    }
    case "stop":
      print(toJson(StopResponseSchema, await client.stop({ transactionId: values.id ?? "" })));
      return 0;
    case "pending":
      print(toJson(ListPendingResponseSchema, await client.listPending({ clientId: values.client })));
      return 0;
    default:
      process.stderr.write(`txn needs start, stop or pending\n${TXN_USAGE}`);
      return 2;
  }
}

/** Parses an integer flag; the gateway does the real validation of values sent to it. */
function positiveInt(value: string, flag: string, min = 1): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min)
    throw new Error(`${flag} must be an integer >= ${min}, got "${value}"`);
  return Number(value);
}
