import { randomUUID } from "node:crypto";
import { TributaryError } from "../../runtime/errors.js";
import type { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { PostbackLimits } from "./postback-config.js";
import { parseUrlTemplate, renderUrl } from "./postback-template.js";

export const POSTBACK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type PostbackMethod = (typeof POSTBACK_METHODS)[number];

/** A postback request as either door received it: data objects are plain JSON objects. */
export interface PostbackInput {
  readonly method: string;
  readonly url: string;
  readonly data: readonly unknown[];
}

export interface PreparedDelivery {
  readonly deliveryId: string;
  readonly index: number;
  readonly method: PostbackMethod;
  readonly url: string;
  readonly bodyJson: string;
}

export interface PreparedPostback {
  readonly requestId: string;
  readonly deliveries: readonly PreparedDelivery[];
}

/**
 * Validates a whole request and renders every delivery before anything is written, so a
 * rejection (invalid_argument naming the field: `endpoint.url`, `data[17]`, `data[3].user`)
 * leaves nothing behind. A template whose host is fixed is checked against the outbound policy
 * once (field endpoint.url); one with a placeholder in its host is checked per rendered URL.
 */
export function preparePostback(
  input: PostbackInput,
  limits: PostbackLimits,
  policy: OutboundPolicy,
  newId: () => string = randomUUID,
): PreparedPostback {
  const method = checkMethod(input.method);
  const template = checkTemplate(input.url, limits);
  const hostIsFixed = !authorityOf(input.url).includes("{");
  if (hostIsFixed) policy.checkUrl(renderUrl(template, {}, "endpoint.url"), "endpoint.url");
  const { data } = input;
  if (data.length === 0) throw invalid("data", "must hold at least one data object");
  if (data.length > limits.maxDataObjects) {
    throw invalid("data", `holds ${data.length} objects; at most ${limits.maxDataObjects} per request`);
  }
  const deliveries: PreparedDelivery[] = [];
  for (let index = 0; index < data.length; index++) {
    const field = `data[${index}]`;
    const object = data[index];
    if (typeof object !== "object" || object === null || Array.isArray(object)) {
      throw invalid(
        field,
        `must be a JSON object, got ${object === null ? "null" : Array.isArray(object) ? "an array" : typeof object}`,
      );
    }
    const bodyJson = JSON.stringify(object);
    const bytes = Buffer.byteLength(bodyJson);
    if (bytes > limits.maxObjectBytes)
      throw invalid(field, `is ${bytes} bytes as JSON; at most ${limits.maxObjectBytes}`);
    const url = renderUrl(template, object as Record<string, unknown>, field);
    if (url.length > limits.maxUrlChars) {
      throw invalid(field, `renders a URL of ${url.length} characters; at most ${limits.maxUrlChars}`);
    }
    if (!hostIsFixed) policy.checkUrl(url, field);
    deliveries.push({ deliveryId: newId(), index, method, url, bodyJson });
  }
  return { requestId: newId(), deliveries };
}

function checkMethod(raw: string): PostbackMethod {
  if (raw.trim() === "") throw invalid("endpoint.method", `is required (${POSTBACK_METHODS.join(", ")})`);
  const method = raw.trim().toUpperCase();
  if (!(POSTBACK_METHODS as readonly string[]).includes(method)) {
    throw invalid("endpoint.method", `must be one of ${POSTBACK_METHODS.join(", ")}, got "${raw.slice(0, 20)}"`);
  }
  return method as PostbackMethod;
}

function checkTemplate(url: string, limits: PostbackLimits) {
  if (url === "") throw invalid("endpoint.url", "is required");
  if (url.length > limits.maxUrlChars) {
    throw invalid("endpoint.url", `is ${url.length} characters; at most ${limits.maxUrlChars}`);
  }
  // The scheme is never data: a placeholder cannot turn an https postback into something else.
  if (!/^https?:\/\//i.test(url)) throw invalid("endpoint.url", "scheme must be http or https");
  return parseUrlTemplate(url, "endpoint.url");
}

/** The `host:port` part of an http(s) URL template (between `//` and the path, query or fragment). */
function authorityOf(url: string): string {
  const rest = url.slice(url.indexOf("//") + 2);
  const end = rest.search(/[/?#\\]/);
  return end < 0 ? rest : rest.slice(0, end);
}

function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("invalid_argument", detail, { field });
}
