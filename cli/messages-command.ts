import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { Command } from "commander";
import {
  CleanResponseSchema,
  DeleteBatchRequestSchema,
  DeleteBatchResponseSchema,
  GetBatchRequestSchema,
  GetBatchResponseSchema,
  PutBatchRequestSchema,
  PutBatchResponseSchema,
} from "../gen/messages/v1/message_service_pb.js";
import { messagesClient } from "./messages-client.js";
import { commaList, DEFAULT_URL, httpUrl } from "./options.js";
import { formatAnswer, type OutputFormat, outputOption } from "./output-format.js";
import { readStdin } from "./process-io.js";

interface IdsOptions {
  readonly url: string;
  readonly ids?: string[];
  readonly token: string;
  readonly output: OutputFormat;
}

/** `messages put|get|delete|clean`: JSON in (stdin or --ids), JSON out (or a table with --output table). */
export function registerMessagesCommand(program: Command): Command {
  const messages = program.command("messages").description("MessageService (the seed's message store)");
  const urlOption = ["--url <url>", "gateway base URL", httpUrl, DEFAULT_URL] as const;
  const stdinJson = async (): Promise<JsonValue> => JSON.parse(await readStdin()) as JsonValue;
  const idsRequest = async (o: IdsOptions) => {
    const req =
      o.ids === undefined ? fromJson(GetBatchRequestSchema, await stdinJson()) : { ids: o.ids, consistencyToken: "" };
    return { ids: req.ids, consistencyToken: o.token === "" ? req.consistencyToken : o.token };
  };
  messages
    .command("put")
    .description('PutBatch; stdin: {"msgs":[CloudEvent...]} (the seed\'s payload)')
    .option(...urlOption)
    .addOption(outputOption("json"))
    .action(async (o: { url: string; output: OutputFormat }) => {
      const res = await messagesClient(o.url).putBatch(fromJson(PutBatchRequestSchema, await stdinJson()));
      process.stdout.write(formatAnswer(o.output, toJson(PutBatchResponseSchema, res)));
    });
  messages
    .command("get")
    .description('GetBatch by --ids or stdin {"ids":[...]}; prints {"msgs":[...]} (unknown ids absent)')
    .option(...urlOption)
    .option("--ids <a,b>", "comma-separated event ids (default: stdin)", commaList)
    .option("--token <token>", "consistency token from a put/delete", "")
    .addOption(outputOption("json"))
    .action(async (o: IdsOptions) => {
      const res = await messagesClient(o.url).getBatch(await idsRequest(o));
      process.stdout.write(formatAnswer(o.output, toJson(GetBatchResponseSchema, res)));
    });
  messages
    .command("delete")
    .description('DeleteBatch by --ids or stdin; prints {"count":N,"consistencyToken":...}')
    .option(...urlOption)
    .option("--ids <a,b>", "comma-separated event ids (default: stdin)", commaList)
    .option("--token <token>", "consistency token from a put", "")
    .addOption(outputOption("json"))
    .action(async (o: IdsOptions) => {
      const res = await messagesClient(o.url).deleteBatch(fromJson(DeleteBatchRequestSchema, await idsRequest(o)));
      process.stdout.write(formatAnswer(o.output, toJson(DeleteBatchResponseSchema, res)));
    });
  messages
    .command("clean")
    .description('removes events older than MESSAGES_RETENTION; prints {"count":N}')
    .option(...urlOption)
    .addOption(outputOption("json"))
    .action(async (o: { url: string; output: OutputFormat }) => {
      const res = await messagesClient(o.url).clean({});
      process.stdout.write(formatAnswer(o.output, toJson(CleanResponseSchema, res)));
    });
  return messages;
}
