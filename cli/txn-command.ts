import { create, toJson } from "@bufbuild/protobuf";
import { type Command, Option } from "commander";
import {
  ListPendingResponseSchema,
  StartResponseSchema,
  StopResponseSchema,
} from "../gen/transactions/v1/transaction_service_pb.js";
import { listAllPending, runMockClient, type TransactionClient, transactionClient } from "../testkit/index.js";
import { anyInteger, DEFAULT_URL, httpUrl, integerAtLeast } from "./options.js";
import { formatAnswer, type OutputFormat, outputOption } from "./output-format.js";

const urlArgs = ["--url <url>", "gateway base URL", httpUrl, DEFAULT_URL] as const;

/** `txn start|stop|pending` (TransactionService) and `mock-client` (the seed's scenario). */
export function registerTxnCommands(program: Command): void {
  const txn = program.command("txn").description("TransactionService: start, stop, list pending");
  txn
    .command("start")
    .description("TransactionService/Start")
    .option("--client <id>", "client id", "mock-client")
    .requiredOption("--id <id>", "transaction id")
    .requiredOption("--callback <url>", "callback target (URL) for the timeout")
    .option("--type <type>", "transaction type", "")
    .option("--payload <json>", "payload, as JSON text")
    .option("--timeout-seconds <n>", "seconds until the timeout fires", anyInteger, 30)
    .option(...urlArgs)
    .addOption(outputOption("json"))
    .action(
      async (o: {
        client: string;
        id: string;
        callback: string;
        type: string;
        payload?: string;
        timeoutSeconds: number;
        url: string;
        output: OutputFormat;
      }) => {
        const response = await transactionClient(o.url).start({
          clientId: o.client,
          transactionType: o.type,
          transactionId: o.id,
          callbackTarget: o.callback,
          timeoutSeconds: o.timeoutSeconds,
          payload: o.payload === undefined ? { case: undefined } : { case: "payloadJson", value: o.payload },
        });
        process.stdout.write(formatAnswer(o.output, toJson(StartResponseSchema, response)));
      },
    );
  txn
    .command("stop")
    .description("TransactionService/Stop")
    .requiredOption("--id <id>", "transaction id")
    .option(...urlArgs)
    .addOption(outputOption("json"))
    .action(async (o: { id: string; url: string; output: OutputFormat }) => {
      const response = await transactionClient(o.url).stop({ transactionId: o.id });
      process.stdout.write(formatAnswer(o.output, toJson(StopResponseSchema, response)));
    });
  txn
    .command("pending")
    .description("TransactionService/ListPending")
    .option("--client <id>", "client id", "mock-client")
    .option("--page-size <n>", "one page of at most n (default: every page, merged)", integerAtLeast(1))
    .option("--page-token <token>", "one page, after the page that returned this next_page_token")
    .option(...urlArgs)
    .addOption(outputOption("json"))
    .action(async (o: { client: string; pageSize?: number; pageToken?: string; url: string; output: OutputFormat }) => {
      const client = transactionClient(o.url);
      const response =
        o.pageSize === undefined && o.pageToken === undefined
          ? await allPages(client, o.client)
          : await client.listPending({ clientId: o.client, pageSize: o.pageSize ?? 0, pageToken: o.pageToken ?? "" });
      process.stdout.write(formatAnswer(o.output, toJson(ListPendingResponseSchema, response)));
    });
  program
    .command("mock-client")
    .description("the seed's scenario end to end (own callback receiver); log on stderr, result on stdout")
    .option("--client <id>", "client id", "mock-client")
    .option("--timeout-seconds <n>", "transaction timeout", integerAtLeast(1), 30)
    .option("--pairs <n>", "start/stop pairs", integerAtLeast(0), 1000)
    .option("--concurrency <n>", "calls in flight", integerAtLeast(1), 32)
    .option("--grace-ms <ms>", "wait for late callbacks", integerAtLeast(0), 3000)
    .addOption(
      new Option("--callback <protocol>", "callback protocol").choices(["webhook", "connect"]).default("webhook"),
    )
    .option(...urlArgs)
    .action(
      async (o: {
        client: string;
        timeoutSeconds: number;
        pairs: number;
        concurrency: number;
        graceMs: number;
        callback: "webhook" | "connect";
        url: string;
      }) => {
        const result = await runMockClient({
          baseUrl: o.url,
          clientId: o.client,
          timeoutSeconds: o.timeoutSeconds,
          pairs: o.pairs,
          concurrency: o.concurrency,
          callbackProtocol: o.callback,
          graceMs: o.graceMs,
          log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.ok) process.exitCode = 1;
      },
    );
}

/** Every page of ListPending as one answer (what `txn pending` printed before pages existed). */
async function allPages(client: TransactionClient, clientId: string) {
  const all = await listAllPending(client, clientId);
  return create(ListPendingResponseSchema, {
    pending: all.pending,
    caughtUp: all.caughtUp,
    totalSize: all.pending.length,
  });
}
