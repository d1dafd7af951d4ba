/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/**
 * Parses a host the way the WHATWG URL parser's IPv4 parser does: 1 to 4 dot-separated parts, each
 * decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes, so
 * `2130706433`, `0x7f.1`, `0177.0.0.01` and `127.1` all mean 127.0.0.1. Returns null for a host
 * that is not a number-like IPv4 (a name). This matters for hosts that did not pass through
 * `new URL()` with a special scheme: `connect+http://0x7f.1/` keeps its host opaque.
 */
export function parseIpv4Literal(host: string): IpAddress | null {
  const parts = host.split(".");
  if (parts.at(-1) === "" && parts.length > 1) parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  // WHATWG: only a host whose last part is numeric is an IPv4 address at all.
  const last = parts.at(-1) ?? "";
  if (parseIpv4Part(last) === null) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIpv4Part(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const head = numbers.slice(0, -1);
  const tail = numbers.at(-1) ?? 0;
  if (head.some((n) => n > 255)) return null;
  if (tail >= 256 ** (5 - numbers.length)) return null;
  let value = tail;
  head.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return {
    family: 4,
    bytes: Uint8Array.of(
      Math.floor(value / 2 ** 24) % 256,
      Math.floor(value / 2 ** 16) % 256,
      Math.floor(value / 256) % 256,
      value % 256,
    ),
  };
}

function parseIpv4Part(part: string): number | null {
  if (part === "") return null;
  let digits = part;
  let radix = 10;
  if (/^0[xX]/.test(part)) {
    digits = part.slice(2);
    radix = 16;
    if (digits === "") return 0;
  } else if (part.length > 1 && part.startsWith("0")) {
    digits = part.slice(1);
    radix = 8;
  }
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  const n = Number.parseInt(digits, radix);
  return Number.isSafeInteger(n) ? n : null;
}

/** Parses an IPv6 address (with `::` and an optional trailing dotted IPv4); brackets allowed. */
export function parseIpv6(text: string): IpAddress | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  // A zone id (fe80::1%eth0) does not change which range the address is in.
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return null;
  const words: number[] = [];
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parseHalf = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const groups = half.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? "";
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseDottedQuad(g);
        if (v4 === null) return null;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const head = parseHalf(halves[0] ?? "");
  const tail = halves.length === 2 ? parseHalf(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    words.push(...head, ...new Array<number>(missing).fill(0), ...tail);
  } else {
    if (head.length !== 8) return null;
    words.push(...head);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return { family: 6, bytes };
}

/** Strict dotted-quad (what DNS answers and IPv6 suffixes use): four decimal parts 0-255. */
function parseDottedQuad(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.map(Number);
}

/** Any IP literal: IPv6 (bracketed or not) or IPv4 in every WHATWG form. Null for a name. */
export function parseIpLiteral(host: string): IpAddress | null {
  return parseIpv6(host) ?? parseIpv4Literal(host);
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [...ip.bytes].join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push((((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0)).toString(16));
  // Compress the longest run of zero words, as RFC 5952 asks.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === "0") j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return words.join(":");
  return `${words.slice(0, bestStart).join(":")}::${words.slice(bestStart + bestLength).join(":")}`;
}

/** The IPv4 address embedded in an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else null. */
export function mappedIpv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  if (b[10] !== 0xff || b[11] !== 0xff) return null;
  return { family: 4, bytes: b.slice(12, 16) };
}

/** A CIDR range: `10.0.0.0/8`, `fc00::/7`; a bare address is a single-address range. */
export interface Cidr {
  readonly network: IpAddress;
  readonly prefixBits: number;
}

export function parseCidr(text: string): Cidr | null {
  const [addressText = "", bitsText] = text.trim().split("/");
  const network = parseIpv6(addressText) ?? parseStrictIpv4(addressText);
  if (network === null) return null;
  const maxBits = network.family === 4 ? 32 : 128;
  if (bitsText === undefined) return { network, prefixBits: maxBits };
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > maxBits) return null;
  return { network, prefixBits: Number(bitsText) };
}

function parseStrictIpv4(text: string): IpAddress | null {
  const quad = parseDottedQuad(text);
  return quad === null ? null : { family: 4, bytes: Uint8Array.from(quad) };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.network.family !== ip.family) return false;
  let bits = cidr.prefixBits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.network.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}
