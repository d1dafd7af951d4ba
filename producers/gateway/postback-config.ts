import type { EnvReader } from "../../runtime/config/env-reader.js";

/** Limits of a postback request, the same on both doors (POST /postback and PostbackService/Submit). */
export interface PostbackLimits {
  /** POSTBACK_MAX_URL_CHARS: longest URL template and rendered URL. Default 4096 (what common servers accept). */
  readonly maxUrlChars: number;
  /** POSTBACK_MAX_DATA_OBJECTS: data objects (deliveries) per request. Default 10000. */
  readonly maxDataObjects: number;
  /** POSTBACK_MAX_OBJECT_BYTES: JSON size of one data object (the POST body). Default 65536. */
  readonly maxObjectBytes: number;
  /**
   * POSTBACK_MAX_REQUEST_BYTES: whole request body. Default 16 MiB: 10,000 objects of ~1.6 KiB;
   * the cap keeps one request from holding the gateway's memory.
   */
  readonly maxRequestBytes: number;
}

export const POSTBACK_ENV_VARS = [
  "POSTBACK_MAX_URL_CHARS",
  "POSTBACK_MAX_DATA_OBJECTS",
  "POSTBACK_MAX_OBJECT_BYTES",
  "POSTBACK_MAX_REQUEST_BYTES",
] as const;

export function readPostbackLimits(env: EnvReader): PostbackLimits {
  return {
    maxUrlChars: env.int("POSTBACK_MAX_URL_CHARS", 4_096, { min: 16, max: 65_536 }),
    maxDataObjects: env.int("POSTBACK_MAX_DATA_OBJECTS", 10_000, { min: 1, max: 100_000 }),
    maxObjectBytes: env.int("POSTBACK_MAX_OBJECT_BYTES", 65_536, { min: 2, max: 900_000 }),
    maxRequestBytes: env.int("POSTBACK_MAX_REQUEST_BYTES", 16 * 1024 * 1024, { min: 1_024, max: 256 * 1024 * 1024 }),
  };
}
