import { fromJsonString } from "@bufbuild/protobuf";
import { lookupTopic } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import { errorMessage } from "../runtime/errors.js";
import type { CliContext } from "./cli-context.js";
import { stdout } from "./data-output.js";

/**
 * `produce <topic> --key K`: reads JSON documents (one per line) from stdin, validates each
 * against the topic's Protobuf type and writes it as a typed record. Invalid lines are reported
 * with their line number and the parser's message (which names the field); exit code 1 if any.
 */
export async function produce(
  ctx: CliContext,
  topicName: string,
  keyField: string | undefined,
  input: string,
): Promise<number> {
  const spec = lookupTopic(topicName);
  if (spec.message === null) throw new Error(`${topicName} is a dead-letter topic; produce to its source topic`);
  const message = spec.message;
  const topic = physicalTopic(ctx.config.topicPrefix, spec.name);
  await ctx.codec.registerTopic(topic, spec);
  const producer = ctx.kafka.createProducer();
  await producer.connect();
  let failures = 0;
  try {
    const lines = input.split("\n").map((l) => l.trim());
    for (const [i, line] of lines.entries()) {
      if (line === "") continue;
      let parsed: ReturnType<typeof fromJsonString>;
      try {
        parsed = fromJsonString(message, line);
      } catch (err) {
        failures += 1;
        process.stderr.write(`line ${i + 1}: invalid ${message.typeName}: ${errorMessage(err)}\n`);
        continue;
      }
      const json = JSON.parse(line) as Record<string, unknown>;
      const key =
        keyField === undefined
          ? String(json.id ?? json.transaction_id ?? json.transactionId ?? "")
          : String(json[keyField] ?? "");
      const position = await producer.send(topic, ctx.codec.encode(topic, message, parsed, key));
      await stdout.write(`${JSON.stringify(position)}\n`);
    }
  } finally {
    await producer.disconnect();
  }
  return failures === 0 ? 0 : 1;
}
