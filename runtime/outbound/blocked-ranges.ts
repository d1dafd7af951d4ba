import { type Cidr, cidrContains, type IpAddress, mappedIpv4, parseCidr } from "./ip-address.js";

/** Why an address is refused: the range class, for logs, DLQ reasons and API errors. */
export type BlockedClass =
  | "unspecified"
  | "loopback"
  | "private"
  | "shared (CGNAT)"
  | "link-local"
  | "cloud metadata"
  | "multicast"
  | "reserved"
  | "documentation"
  | "unique-local"
  | "translated";

/**
 * Ranges no outbound call may reach unless a CIDR allow-lists them: everything that is not the
 * public internet (RFC 6890 special-purpose registries). Order matters: the first match names the
 * class, so the metadata addresses come before link-local / unique-local.
 */
const RANGES: readonly (readonly [string, BlockedClass])[] = [
  ["169.254.169.254/32", "cloud metadata"], // AWS, GCP, Azure, OpenStack IMDS
  ["100.100.100.200/32", "cloud metadata"], // Alibaba Cloud
  ["fd00:ec2::254/128", "cloud metadata"], // AWS IMDS over IPv6
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"], // includes 255.255.255.255 (broadcast)
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::/96", "reserved"], // IPv4-compatible (deprecated)
  ["64:ff9b::/96", "translated"], // NAT64 reaches IPv4 space the checks above could not see
  ["64:ff9b:1::/48", "translated"],
  ["100::/64", "reserved"], // discard-only
  ["2001::/32", "translated"], // Teredo
  ["2001:db8::/32", "documentation"],
  ["2002::/16", "translated"], // 6to4
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "reserved"], // site-local (deprecated)
  ["ff00::/8", "multicast"],
];

const BLOCKED: readonly (readonly [Cidr, BlockedClass])[] = RANGES.map(([text, cls]) => {
  const cidr = parseCidr(text);
  if (cidr === null) throw new Error(`bad built-in range ${text}`);
  return [cidr, cls] as const;
});

/**
 * The class of a non-public address, or null for a public one. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is judged as the IPv4 address it reaches: the kernel connects to that one.
 */
export function blockedClass(ip: IpAddress): BlockedClass | null {
  const effective = mappedIpv4(ip) ?? ip;
  for (const [cidr, cls] of BLOCKED) if (cidrContains(cidr, effective)) return cls;
  return null;
}

/** Host names that always mean a local or metadata endpoint, whatever DNS says (RFC 6761). */
export function blockedName(hostname: string): string | null {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback name";
  if (name === "metadata.google.internal" || name === "metadata.goog" || name === "metadata") {
    return "cloud metadata name";
  }
  return null;
}
