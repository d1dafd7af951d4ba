import { parseArgs } from "node:util";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
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

export const MESSAGES_USAGE = `  messages put < batch.json        MessageService/PutBatch; stdin: {"msgs":[CloudEvent...]} (the seed's payload)
  messages get --ids a,b [--token T]   or stdin {"ids":[...]}; prints {"msgs":[...]} (unknown ids absent)
  messages delete --ids a,b [--token T]   prints {"count":N,"consistencyToken":...}
  messages clean                   removes events older than MESSAGES_RETENTION; prints {"count":N}
`;

/** `messages put|get|delete|clean`: JSON in (stdin or --ids), JSON out; --url as for txn. */
export async function messagesCommand(argv: readonly string[], readStdin: () => Promise<string>): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8080" },
      ids: { type: "string" },
      token: { type: "string", default: "" },
    },
  });
  const client = messagesClient(values.url);
  const print = (json: JsonValue) => process.stdout.write(`${JSON.stringify(json)}\n`);
  const stdinJson = async (): Promise<JsonValue> => JSON.parse(await readStdin()) as JsonValue;
  const idsRequest = async () =>
    values.ids === undefined
      ? fromJson(GetBatchRequestSchema, await stdinJson())
      : { ids: values.ids.split(",").filter((id) => id !== ""), consistencyToken: values.token };
  const token = (fromRequest: string) => (values.token === "" ? fromRequest : values.token);
  switch (positionals[1]) {
    case "put":
      print(toJson(PutBatchResponseSchema, await client.putBatch(fromJson(PutBatchRequestSchema, await stdinJson()))));
      return 0;
    case "get": {
      const req = await idsRequest();
      const res = await client.getBatch({ ids: req.ids, consistencyToken: token(req.consistencyToken) });
      print(toJson(GetBatchResponseSchema, res));
      return 0;
    }
    case "delete": {
      const req = await idsRequest();
      const res = await client.deleteBatch(
        fromJson(DeleteBatchRequestSchema, { ids: req.ids, consistencyToken: token(req.consistencyToken) }),
      );
      print(toJson(DeleteBatchResponseSchema, res));
      return 0;
    }
    case "clean":
      print(toJson(CleanResponseSchema, await client.clean({})));
      return 0;
    default:
      process.stderr.write(`messages needs put, get, delete or clean\n${MESSAGES_USAGE}`);
      return 2;
  }
}
