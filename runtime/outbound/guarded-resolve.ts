import { promises as dns, type LookupAddress } from "node:dns";
import { errorMessage } from "../errors.js";
import { formatIp, parseIpLiteral } from "./ip-address.js";
import { OutboundError } from "./outbound-error.js";
import type { OutboundPolicy } from "./outbound-policy.js";

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Name → addresses. Injected in tests so no real lookup (and no connection) happens. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * The one address a connection to `host` may use: the literal itself, or what the name resolves
 * to, checked against the policy. The caller connects to exactly this address (the name only
 * travels in the Host header and TLS SNI), so a DNS answer that changes between check and connect
 * (rebinding) cannot reach anything the check did not see. Every answer must pass: a name that
 * resolves to a public and a private address at once is refused.
 */
export async function resolveChecked(
  policy: OutboundPolicy,
  resolver: Resolver,
  host: string,
): Promise<ResolvedAddress> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const verdict = policy.checkHost(bare);
  if (verdict.kind === "address") {
    if (!verdict.verdict.allowed) throw new OutboundError("blocked", `blocked address: ${verdict.verdict.reason}`);
    return { address: formatIp(verdict.ip), family: verdict.ip.family };
  }
  if (!verdict.verdict.allowed) throw new OutboundError("blocked", `blocked host: ${verdict.verdict.reason}`);
  let answers: readonly ResolvedAddress[];
  try {
    answers = await resolver(verdict.hostname);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // A name that does not exist (NXDOMAIN, `.invalid`) will not exist on the next try either:
    // final, and redrive is there once it is fixed. A resolver hiccup (EAI_AGAIN) is retried.
    const kind = code === "ENOTFOUND" ? "invalid_target" : "connection";
    const detail = String(code ?? errorMessage(err));
    throw new OutboundError(kind, `DNS lookup of ${verdict.hostname} failed: ${detail}`, { cause: err });
  }
  if (answers.length === 0) throw new OutboundError("connection", `DNS lookup of ${verdict.hostname} found no address`);
  let chosen: ResolvedAddress | undefined;
  for (const answer of answers) {
    const ip = parseIpLiteral(answer.address);
    if (ip === null)
      throw new OutboundError("blocked", `${verdict.hostname} resolves to a non-address "${answer.address}"`);
    const check = policy.checkAddress(ip);
    if (!check.allowed) {
      throw new OutboundError("blocked", `blocked address: ${verdict.hostname} resolves to ${check.reason}`);
    }
    chosen ??= { address: formatIp(ip), family: ip.family };
  }
  return chosen as ResolvedAddress;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `lookup` for node:net / node:http (`nodeOptions.lookup` of a Connect transport): the same
 * check as resolveChecked, answering only the checked address. Node skips `lookup` for literal
 * hosts, so callers check literal hosts with the policy first (OutboundPolicy.checkUrl).
 */
export function guardedLookup(policy: OutboundPolicy, resolver: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean } | number | undefined, callback: LookupCallback): void => {
    resolveChecked(policy, resolver, hostname).then(
      (a) => {
        if (typeof options === "object" && options?.all) callback(null, [{ address: a.address, family: a.family }]);
        else callback(null, a.address, a.family);
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, ""),
    );
  };
}
