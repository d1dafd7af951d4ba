import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../errors.js";
import { blockedClass } from "./blocked-ranges.js";
import { formatIp, parseCidr, parseIpLiteral, parseIpv4Literal, parseIpv6 } from "./ip-address.js";
import { OutboundPolicy } from "./outbound-policy.js";

const FIELD = "endpoint.url";

/** A URL, or invalid_argument naming the field: never a TypeError/URIError from inside. */
function checkOrCode(policy: OutboundPolicy, target: string): URL | TributaryError {
  try {
    return policy.checkUrl(target, FIELD);
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("invalid_argument");
    expect((err as TributaryError).field).toBe(FIELD);
    return err as TributaryError;
  }
}

/** Blocked IPv4 blocks (base, prefix) the edge must refuse in every spelling. */
const BLOCKED_V4: readonly (readonly [number, number])[] = [
  [0x00_00_00_00, 8],
  [0x0a_00_00_00, 8],
  [0x64_40_00_00, 10],
  [0x7f_00_00_00, 8],
  [0xa9_fe_00_00, 16],
  [0xac_10_00_00, 12],
  [0xc0_a8_00_00, 16],
  [0xe0_00_00_00, 4],
];

const blockedV4 = fc
  .tuple(fc.constantFrom(...BLOCKED_V4), fc.integer({ min: 0, max: 0xffff_ffff }))
  .map(([[base, prefix], noise]) => (base | (noise >>> prefix)) >>> 0);

const octets = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const hex = (n: number) => `0x${n.toString(16)}`;
const octal = (n: number) => `0${n.toString(8)}`;

/** Spellings the WHATWG parser (and our own parser for opaque hosts) read as the same IPv4. */
function spellings(n: number): string[] {
  const [a, b, c, d] = octets(n) as [number, number, number, number];
  const hex6 = (x: number) => x.toString(16);
  return [
    `${a}.${b}.${c}.${d}`,
    String(n),
    hex(n),
    `${octal(a)}.${octal(b)}.${octal(c)}.${octal(d)}`,
    `${hex(a)}.${b}.${(c << 8) | d}`,
    `${a}.${(b << 16) | (c << 8) | d}`,
    `${a}.${b}.${c}.${d}.`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${hex6((a << 8) | b)}:${hex6((c << 8) | d)}]`,
    `[0:0:0:0:0:ffff:${a}.${b}.${c}.${d}]`,
  ];
}

describe("outbound URL guard (fuzzed)", () => {
  const policy = new OutboundPolicy();

  it("answers a URL or invalid_argument naming the field for any string", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.webUrl(), fc.string({ unit: "binary", maxLength: 40 })),
        (t) => {
          checkOrCode(policy, t);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("answers a URL or invalid_argument for http URLs with arbitrary hosts, ports and paths", () => {
    const host = fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6().map((h) => `[${h}]`),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("http", "https", "HTTP", "ftp", "file", "javascript"),
        host,
        fc.option(fc.integer({ min: 0, max: 70_000 })),
        fc.string({ maxLength: 30 }),
        (scheme, h, port, path) => {
          checkOrCode(policy, `${scheme}://${h}${port === null ? "" : `:${port}`}/${path}`);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("refuses every blocked IPv4 address in every spelling, on http and https", () => {
    fc.assert(
      fc.property(blockedV4, fc.constantFrom("http", "https"), (n, scheme) => {
        for (const host of spellings(n)) {
          const result = checkOrCode(policy, `${scheme}://${host}:8080/x`);
          expect(result, `${scheme}://${host}`).toBeInstanceOf(TributaryError);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("parses every IPv4 spelling of the opaque-host parser to the same address", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        for (const host of spellings(n).filter((s) => !s.startsWith("["))) {
          const ip = parseIpv4Literal(host);
          expect(ip, host).not.toBeNull();
          expect(formatIp(ip as NonNullable<typeof ip>)).toBe(octets(n).join("."));
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("never throws from the address parsers, and IPv6 literals round-trip through formatIp", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        parseIpLiteral(text);
        parseIpv6(text);
        parseCidr(text);
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const ip = parseIpv6(text);
        expect(ip, text).not.toBeNull();
        const again = parseIpv6(formatIp(ip as NonNullable<typeof ip>));
        expect(Buffer.from(again?.bytes ?? []).equals(Buffer.from(ip?.bytes ?? []))).toBe(true);
        blockedClass(ip as NonNullable<typeof ip>);
      }),
      { numRuns: 2_000 },
    );
  });
});
