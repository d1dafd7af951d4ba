import { toBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type CloudEvent, CloudEventSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { MessageServiceConfig } from "./message-config.js";

/** Longest event id: ids are record keys and the table's primary key. */
const MAX_ID_CHARS = 256;
/** CloudEvents 1.0: attribute names are lower-case ASCII letters and digits. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,64}$/;
/** Google's Timestamp range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

function invalid(field: string, message: string): TributaryError {
  return new TributaryError("invalid_argument", message, { field });
}

/**
 * Checks a whole PutBatch before anything is written, so a rejected call writes nothing. Duplicate
 * ids within one batch are rejected (the caller's intent is ambiguous; a later call may re-put).
 */
export function validatePutBatch(msgs: readonly CloudEvent[], config: MessageServiceConfig): void {
  if (msgs.length > config.maxBatchEvents)
    throw invalid("msgs", `at most ${config.maxBatchEvents} events per batch, got ${msgs.length}`);
  const firstIndex = new Map<string, number>();
  let totalBytes = 0;
  msgs.forEach((event, i) => {
    const at = `msgs[${i}]`;
    validateEvent(event, at);
    const earlier = firstIndex.get(event.id);
    if (earlier !== undefined) throw invalid(`${at}.id`, `duplicate of msgs[${earlier}].id "${event.id}"`);
    firstIndex.set(event.id, i);
    const bytes = toBinary(CloudEventSchema, event).byteLength;
    if (bytes > config.maxEventBytes)
      throw invalid(at, `event is ${bytes} bytes, at most ${config.maxEventBytes} allowed`);
    totalBytes += bytes;
  });
  if (totalBytes > config.maxBatchBytes)
    throw invalid("msgs", `batch is ${totalBytes} bytes, at most ${config.maxBatchBytes} allowed`);
}

function validateEvent(event: CloudEvent, at: string): void {
  validateId(event.id, `${at}.id`);
  if (event.source === "") throw invalid(`${at}.source`, "is required");
  if (event.type === "") throw invalid(`${at}.type`, "is required");
  refuseUnstorable(event.source, `${at}.source`);
  refuseUnstorable(event.type, `${at}.type`);
  if (event.specVersion === "") throw invalid(`${at}.spec_version`, "is required");
  if (event.specVersion !== "1.0") throw invalid(`${at}.spec_version`, `must be "1.0", got "${event.specVersion}"`);
  for (const [name, value] of Object.entries(event.attributes)) {
    const field = `${at}.attributes.${name}`;
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(field, "attribute names are 1-64 lower-case letters or digits");
    const attr = value.attr;
    if (attr.case === undefined) throw invalid(field, "has no value");
    if (attr.case === "ceTimestamp") validateTimestamp(attr.value, `${field}.ce_timestamp`);
    if (name === "time" && attr.case !== "ceTimestamp") throw invalid(field, "must be a ce_timestamp");
  }
}

function validateTimestamp(ts: Timestamp, field: string): void {
  if (ts.seconds < MIN_SECONDS || ts.seconds > MAX_SECONDS) throw invalid(field, "seconds out of range (years 1-9999)");
  if (ts.nanos < 0 || ts.nanos > 999_999_999) throw invalid(field, "nanos must be in 0..999999999");
}

export function validateId(id: string, field: string): void {
  if (id.trim() === "") throw invalid(field, "is required");
  if (id.length > MAX_ID_CHARS) throw invalid(field, `must be at most ${MAX_ID_CHARS} characters`);
  refuseUnstorable(id, field);
}

/** U+0000, or an unpaired UTF-16 surrogate (Protobuf's UTF-8 turns every one into U+FFFD). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * id, source and type are Postgres text columns: a U+0000 was accepted and then failed the
 * messages sink's commit on every retry (found by fuzzing); a lone surrogate would be stored as
 * U+FFFD, so two different ids would meet.
 */
function refuseUnstorable(value: string, field: string): void {
  if (value.includes("\u0000") || LONE_SURROGATE.test(value))
    throw invalid(field, "must not contain U+0000 or an unpaired surrogate");
}

/** Ids of GetBatch/DeleteBatch: each non-empty, at most maxBatchEvents of them. */
export function validateIds(ids: readonly string[], config: MessageServiceConfig): void {
  if (ids.length > config.maxBatchEvents)
    throw invalid("ids", `at most ${config.maxBatchEvents} ids per call, got ${ids.length}`);
  ids.forEach((id, i) => {
    validateId(id, `ids[${i}]`);
  });
}
