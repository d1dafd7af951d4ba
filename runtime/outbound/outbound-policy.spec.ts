import { describe, expect, it } from "vitest";
import { cidrContains, formatIp, parseCidr, parseIpLiteral, parseIpv4Literal, parseIpv6 } from "./ip-address.js";
import { OutboundPolicy } from "./outbound-policy.js";
import { SSRF_LITERAL_CORPUS } from "./ssrf-corpus.js";

const ip = (text: string) => {
  const parsed = parseIpLiteral(text);
  if (parsed === null) throw new Error(`not an address: ${text}`);
  return formatIp(parsed);
};

describe("IPv4 literals, parsed like the WHATWG URL parser", () => {
  it.each([
    ["2130706433", "127.0.0.1"],
    ["017700000001", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["0x7f.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["127.0.1", "127.0.0.1"],
    ["0177.0.0.01", "127.0.0.1"],
    ["0x7f.0x0.0x0.0x1", "127.0.0.1"],
    ["127.0.0.1.", "127.0.0.1"],
    ["0", "0.0.0.0"],
    ["0x", "0.0.0.0"],
    ["192.168.257", "192.168.1.1"],
    ["4294967295", "255.255.255.255"],
    ["0251.0376.0251.0376", "169.254.169.254"],
  ])("%s → %s, as new URL() says too", (host, expected) => {
    expect(ip(host)).toBe(expected);
    expect(new URL(`http://${host}/`).hostname).toBe(expected);
  });

  it.each(["example.com", "1.2.3.x", "4294967296", "256.1.1.1", "1.2.3.4.5", "08.1.1.1", "0x1g"])(
    "%s is not an IPv4 address",
    (host) => {
      expect(parseIpv4Literal(host)).toBeNull();
    },
  );
});

describe("IPv6 and CIDRs", () => {
  it.each([
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["::ffff:127.0.0.1", "::ffff:7f00:1"],
    ["fe80::1%eth0", "fe80::1"],
    ["2001:db8::8:800:200c:417a", "2001:db8::8:800:200c:417a"],
  ])("%s → %s", (text, expected) => {
    expect(ip(text)).toBe(expected);
  });

  it.each(["1::2::3", ":::", "12345::", "1:2:3:4:5:6:7:8:9", "::g"])("%s is not an IPv6 address", (text) => {
    expect(parseIpv6(text)).toBeNull();
  });

  it("matches prefixes bit by bit", () => {
    const cidr = parseCidr("100.64.0.0/10");
    expect(cidr).not.toBeNull();
    if (cidr === null) return;
    expect(cidrContains(cidr, parseIpLiteral("100.127.255.255") as never)).toBe(true);
    expect(cidrContains(cidr, parseIpLiteral("100.128.0.0") as never)).toBe(false);
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("0x7f.1/32")).toBeNull(); // config takes canonical addresses only
  });
});

describe("outbound policy at the API edge", () => {
  const policy = new OutboundPolicy();

  it.each(SSRF_LITERAL_CORPUS)("refuses %s with invalid_argument naming the field", (target) => {
    expect(() => policy.checkUrl(target, "endpoint.url")).toThrow(
      expect.objectContaining({ code: "invalid_argument", field: "endpoint.url" }),
    );
  });

  it.each([
    "https://partner.example/track?c=1",
    "http://8.8.8.8/x",
    "http://[2606:4700::1111]/x",
    "http://[::ffff:8.8.8.8]/x",
  ])("lets public %s through", (target) => {
    expect(policy.checkUrl(target, "url").toString()).toBe(new URL(target).toString());
  });

  it.each([
    ["ftp://partner.example/x", /scheme must be http or https/],
    ["javascript:alert(1)", /scheme must be http or https/],
    ["file:///etc/passwd", /scheme must be http or https/],
    ["not a url", /must be an absolute URL/],
  ])("refuses %s", (target, message) => {
    expect(() => policy.checkUrl(target, "url")).toThrow(message);
  });

  it("says what the address is", () => {
    expect(() => policy.checkUrl("http://2852039166/", "url")).toThrow("169.254.169.254 is cloud metadata");
    expect(() => policy.checkUrl("http://[::ffff:10.0.0.1]/", "url")).toThrow("::ffff:a00:1 is private");
  });
});

describe("allow-list", () => {
  it("a CIDR opens exactly its range, in every spelling", () => {
    const policy = new OutboundPolicy({ cidrs: ["127.0.0.1/32"], hosts: [] });
    expect(() => policy.checkUrl("http://127.0.0.1:9000/cb", "url")).not.toThrow();
    expect(() => policy.checkUrl("http://2130706433:9000/cb", "url")).not.toThrow();
    expect(() => policy.checkUrl("http://[::ffff:127.0.0.1]/cb", "url")).not.toThrow();
    expect(() => policy.checkUrl("http://127.0.0.2/cb", "url")).toThrow(/loopback/);
    expect(() => policy.checkUrl("http://[::1]/cb", "url")).toThrow(/loopback/);
    expect(() => policy.checkUrl("http://0.0.0.0/cb", "url")).toThrow(/unspecified/);
    expect(() => policy.checkUrl("http://169.254.169.254/", "url")).toThrow(/metadata/);
    expect(() => policy.checkUrl("http://10.0.0.1/", "url")).toThrow(/private/);
  });

  it("host names lift only the name rules; their addresses are still checked", () => {
    const policy = new OutboundPolicy({ cidrs: [], hosts: ["localhost"] });
    expect(policy.checkHost("localhost").verdict.allowed).toBe(true);
    expect(policy.checkAddress(parseIpLiteral("127.0.0.1") as never).allowed).toBe(false);
    const wildcard = new OutboundPolicy({ cidrs: [], hosts: ["*.localhost"] });
    expect(wildcard.checkHost("app.localhost").verdict.allowed).toBe(true);
    expect(wildcard.checkHost("localhost").verdict.allowed).toBe(false);
  });

  it("a bad CIDR fails at start, naming the variable", () => {
    expect(() => new OutboundPolicy({ cidrs: ["127.0.0.1/40"], hosts: [] })).toThrow(
      expect.objectContaining({ code: "config_invalid", field: "OUTBOUND_ALLOW_CIDRS" }),
    );
  });
});
