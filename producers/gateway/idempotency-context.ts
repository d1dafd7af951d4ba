import type { IncomingMessage } from "node:http";
import {
  create,
  type DescMessage,
  fromJsonString,
  type Message,
  type MessageInitShape,
  type MessageShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { principalOf, principalOfRequest } from "./auth-guard.js";
import { IDEMPOTENCY_HEADER, type IdempotencyScope, parseIdempotencyKey } from "./idempotency-key.js";
import { fingerprintOf, type IdempotentWrites, type ResultCodec } from "./idempotent-writes.js";
import { toConnectError } from "./to-connect-error.js";

/**
 * The scope of a keyed Connect/gRPC/gRPC-Web write (key from the `idempotency-key` header or
 * metadata, or from a request field), null when the caller sent no key. Invalid keys are
 * invalid_argument naming the field.
 */
export function idempotencyScopeOf(
  ctx: HandlerContext,
  field?: { readonly name: string; readonly value: string },
): IdempotencyScope | null {
  let key: string | null;
  try {
    key = parseIdempotencyKey(ctx.requestHeader.get(IDEMPOTENCY_HEADER), field);
  } catch (err) {
    throw toConnectError(err);
  }
  if (key === null) return null;
  return { tenant: principalOf(ctx)?.clientId ?? "", method: `${ctx.service.typeName}/${ctx.method.name}`, key };
}

/** A response message kept in the result cache as its canonical JSON. */
export function protoResultCodec<D extends DescMessage>(schema: D): ResultCodec<MessageShape<D>> {
  return {
    encode: (r) => toJsonString(schema, r),
    decode: (text) => fromJsonString(schema, text),
  };
}

/**
 * A unary write made retry-safe: without a key `write` runs as before; with one, the first
 * answer within the window is returned to every repeat of the same request (fingerprint: the
 * request's bytes under the method's input schema), and `write` gets the scope to derive its
 * record ids from.
 */
export async function keyedUnary<T extends object>(
  idempotent: IdempotentWrites | undefined,
  ctx: HandlerContext,
  request: Message,
  write: (scope: IdempotencyScope | null) => Promise<T>,
): Promise<T> {
  const scope = idempotencyScopeOf(ctx);
  if (scope === null) return write(null);
  if (idempotent === undefined) return write(scope);
  const output = ctx.method.output;
  const codec: ResultCodec<T> = {
    encode: (r) => toJsonString(output, create(output, r as MessageInitShape<DescMessage>)),
    decode: (text) => fromJsonString(output, text) as unknown as T,
  };
  try {
    return await idempotent.run(scope, fingerprintOf(toBinary(ctx.method.input, request)), codec, () => write(scope));
  } catch (err) {
    throw toConnectError(err);
  }
}

/** The scope of a keyed plain-HTTP write (`Idempotency-Key` header), null without a key. */
export function httpIdempotencyScope(req: IncomingMessage, method: string): IdempotencyScope | null {
  const header = req.headers[IDEMPOTENCY_HEADER];
  const key = parseIdempotencyKey(Array.isArray(header) ? header[0] : header);
  if (key === null) return null;
  return { tenant: principalOfRequest(req)?.clientId ?? "", method, key };
}
