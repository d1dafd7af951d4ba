import { TributaryError } from "../errors.js";
import { blockedClass, blockedName } from "./blocked-ranges.js";
import {
  type Cidr,
  cidrContains,
  formatIp,
  type IpAddress,
  mappedIpv4,
  parseCidr,
  parseIpLiteral,
} from "./ip-address.js";

/** Where outbound calls may go beyond the public internet. */
export interface OutboundAllowList {
  /** Ranges opened explicitly (`127.0.0.1/32`, `10.1.0.0/16`); only a CIDR opens a blocked range. */
  readonly cidrs: readonly string[];
  /**
   * Host names exempt from the name rules (`localhost`, metadata names); `*.example` matches
   * sub-domains. The addresses such a name resolves to are still checked.
   */
  readonly hosts: readonly string[];
}

export const EMPTY_ALLOW_LIST: OutboundAllowList = { cidrs: [], hosts: [] };

export type AddressVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** The outcome of checking a URL's host before any resolution. */
export type HostVerdict =
  | { readonly kind: "address"; readonly ip: IpAddress; readonly verdict: AddressVerdict }
  | { readonly kind: "name"; readonly hostname: string; readonly verdict: AddressVerdict };

export const OUTBOUND_SCHEMES = ["http:", "https:"] as const;

/**
 * Decides which addresses and names outbound calls may reach. Everything not public is refused
 * (loopback, private, CGNAT, link-local, metadata, multicast, reserved, IPv6 ULA/link-local,
 * IPv4-mapped forms of those) unless an allow-listed CIDR covers the address.
 */
export class OutboundPolicy {
  readonly #cidrs: readonly Cidr[];
  readonly #hosts: readonly string[];

  constructor(allow: OutboundAllowList = EMPTY_ALLOW_LIST) {
    this.#cidrs = allow.cidrs.map((text) => {
      const cidr = parseCidr(text);
      if (cidr === null) {
        throw new TributaryError("config_invalid", `allow-listed CIDR "${text}" is not a CIDR or address`, {
          field: "OUTBOUND_ALLOW_CIDRS",
        });
      }
      return cidr;
    });
    this.#hosts = allow.hosts.map((h) => h.trim().toLowerCase().replace(/\.$/, ""));
  }

  checkAddress(ip: IpAddress): AddressVerdict {
    const mapped = mappedIpv4(ip);
    if (this.#cidrs.some((c) => cidrContains(c, ip) || (mapped !== null && cidrContains(c, mapped)))) {
      return { allowed: true };
    }
    const cls = blockedClass(ip);
    return cls === null ? { allowed: true } : { allowed: false, reason: `${formatIp(ip)} is ${cls}` };
  }

  /** The host of a URL as the WHATWG parser left it: an address (checked) or a name (name rules). */
  checkHost(host: string): HostVerdict {
    const ip = parseIpLiteral(host);
    if (ip !== null) return { kind: "address", ip, verdict: this.checkAddress(ip) };
    const hostname = host.toLowerCase().replace(/\.$/, "");
    const rule = this.#hostAllowed(hostname) ? null : blockedName(hostname);
    return {
      kind: "name",
      hostname,
      verdict: rule === null ? { allowed: true } : { allowed: false, reason: `${hostname} is a ${rule}` },
    };
  }

  #hostAllowed(hostname: string): boolean {
    return this.#hosts.some((h) => (h.startsWith("*.") ? hostname.endsWith(h.slice(1)) : h === hostname));
  }

  /**
   * The API-edge check of a target URL: http(s) only, a host, and no literal blocked address or
   * blocked name. A name resolving to a blocked address is caught at delivery instead (DNS may
   * change; the connection is checked again then). Throws invalid_argument naming `field`.
   */
  checkUrl(target: string, field: string): URL {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new TributaryError("invalid_argument", `must be an absolute URL, got "${truncate(target)}"`, { field });
    }
    if (!(OUTBOUND_SCHEMES as readonly string[]).includes(url.protocol)) {
      throw new TributaryError("invalid_argument", `scheme must be http or https, got "${url.protocol}"`, { field });
    }
    if (url.hostname === "") throw new TributaryError("invalid_argument", "must name a host", { field });
    const host = this.checkHost(url.hostname);
    if (!host.verdict.allowed) {
      throw new TributaryError("invalid_argument", `target not allowed: ${host.verdict.reason}`, { field });
    }
    return url;
  }
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
