/**
 * Target URLs that must never be called (unless a CIDR opens them), in every spelling the URL
 * parser accepts. Shared by the unit tests of the policy and the API-edge integration tests.
 */
export const SSRF_LITERAL_CORPUS: readonly string[] = [
  // loopback, in decimal, octal, hex, short and mixed forms
  "http://127.0.0.1/x",
  "http://127.1/x",
  "http://127.0.1/x",
  "http://2130706433/x",
  "http://017700000001/x",
  "http://0x7f000001/x",
  "http://0x7f.1/x",
  "http://0177.0.0.01/x",
  "http://0x7f.0x0.0x0.0x1/x",
  "http://127.255.255.254:8080/x",
  "http://127.0.0.1./x",
  "http://localhost/x",
  "http://LOCALHOST./x",
  "http://app.localhost/x",
  // unspecified
  "http://0.0.0.0/x",
  "http://0/x",
  "http://[::]/x",
  "http://[0:0:0:0:0:0:0:0]/x",
  // private
  "http://10.0.0.1/x",
  "http://10.255.255.255/x",
  "http://167772161/x",
  "http://172.16.0.1/x",
  "http://172.31.255.255/x",
  "http://192.168.1.1/x",
  "http://0xc0a80101/x",
  "http://192.168.257/x",
  // CGNAT
  "http://100.64.0.1/x",
  "http://100.127.255.254/x",
  // link-local and metadata
  "http://169.254.169.254/latest/meta-data/",
  "http://2852039166/latest/meta-data/",
  "http://0xa9fea9fe/latest/meta-data/",
  "http://0251.0376.0251.0376/latest/meta-data/",
  "http://169.254.1.1/x",
  "http://100.100.100.200/latest/meta-data/",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://[fd00:ec2::254]/latest/meta-data/",
  // IPv6 loopback, ULA, link-local, multicast
  "http://[::1]/x",
  "http://[::1]:9/x",
  "http://[0:0:0:0:0:0:0:1]/x",
  "http://[fc00::1]/x",
  "http://[fd12:3456:789a::1]/x",
  "http://[fe80::1]/x",
  "http://[ff02::1]/x",
  // IPv4-mapped and translated IPv6
  "http://[::ffff:127.0.0.1]/x",
  "http://[::ffff:7f00:1]/x",
  "http://[::ffff:169.254.169.254]/x",
  "http://[::ffff:10.0.0.1]/x",
  "http://[64:ff9b::a9fe:a9fe]/x",
  "http://[::127.0.0.1]/x",
  // multicast, broadcast, reserved, documentation
  "http://224.0.0.1/x",
  "http://239.255.255.250/x",
  "http://255.255.255.255/x",
  "http://4294967295/x",
  "http://240.0.0.1/x",
  "http://192.0.0.8/x",
  "http://192.0.2.1/x",
  "http://198.18.0.1/x",
  // https as well
  "https://127.0.0.1/x",
  "https://[::1]/x",
];

/** Names an attacker's DNS could answer with a blocked address (the resolver is injected in tests). */
export const SSRF_REBINDING_ANSWERS: readonly (readonly [string, string])[] = [
  ["loopback.attacker.example", "127.0.0.1"],
  ["private.attacker.example", "10.1.2.3"],
  ["cgnat.attacker.example", "100.64.1.1"],
  ["metadata.attacker.example", "169.254.169.254"],
  ["ula.attacker.example", "fd00::1"],
  ["mapped.attacker.example", "::ffff:127.0.0.1"],
  ["zero.attacker.example", "0.0.0.0"],
  ["v6zero.attacker.example", "::"],
  ["multicast.attacker.example", "224.0.0.251"],
];
