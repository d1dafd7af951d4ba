import type { Writable } from "node:stream";
import { Command, InvalidArgumentError } from "commander";
import {
  type ApiKeyRecord,
  authMigrationsDir,
  DEFAULT_BURST,
  DEFAULT_RATE_PER_SECOND,
  PgApiKeyStore,
  parseScopes,
  SCOPES,
} from "../runtime/auth/index.js";
import { EnvReader } from "../runtime/config/env-reader.js";
import { readPlatformConfig } from "../runtime/config/platform-config.js";
import { createLogger } from "../runtime/observability/logger.js";
import { migrate } from "../runtime/state/migrations.js";
import { openPool } from "../runtime/state/pg-pool.js";
import { formatAnswer, type OutputFormat, outputOption } from "./output-format.js";

export interface KeysCommandDeps {
  /** Postgres holding `tributary_api_keys`; default DATABASE_URL (the platform's). */
  readonly databaseUrl?: string;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

/**
 * `tributary keys create|list|revoke` on a commander program: the key table is migrated first, so
 * keys can be made before any gateway with AUTH_MODE=required started. `create` prints the key
 * once (stdout, nothing else there) and it is never shown again; `list` never prints secrets.
 */
export function registerKeysCommand(program: Command, deps: KeysCommandDeps = {}): Command {
  const keys = program.command("keys").description("API keys of the front doors (AUTH_MODE=required)");
  keys
    .command("create")
    .description("create a key for one client id; prints the key once")
    .requiredOption("--client <id>", "client id the key acts for (Start/Stop/ListPending only within it)")
    .requiredOption("--scopes <a,b>", `comma-separated scopes: ${SCOPES.join(", ")}`)
    .option("--rate-per-second <n>", "sustained calls per second", positiveNumber, DEFAULT_RATE_PER_SECOND)
    .option("--burst <n>", "calls at once above the rate (bucket size)", positiveInteger, DEFAULT_BURST)
    .action(async (options: { client: string; scopes: string; ratePerSecond: number; burst: number }) => {
      const scopes = parseScopes(options.scopes);
      await withStore(deps, async (store, out, err) => {
        const { token, record } = await store.create({
          clientId: options.client,
          scopes,
          ratePerSecond: options.ratePerSecond,
          burst: options.burst,
        });
        err.write(
          `created key ${record.keyId} for client ${record.clientId} (${record.scopes.join(",")}; ` +
            `${record.ratePerSecond}/s, burst ${record.burst}). The key is shown once; store it now:\n`,
        );
        out.write(`${token}\n`);
      });
    });
  keys
    .command("list")
    .description("list keys (ids, client, scopes, limits, state), never their secrets")
    .option("--client <id>", "only this client's keys")
    .addOption(outputOption("table"))
    .action(async (options: { client?: string; output: OutputFormat }) => {
      await withStore(deps, async (store, out) => {
        const records = await store.list(options.client);
        out.write(formatAnswer(options.output, records.map(listed)));
      });
    });
  keys
    .command("revoke")
    .description("revoke a key; gateways refuse it within AUTH_KEY_CACHE_TTL_MS (default 5 s)")
    .argument("<key-id>", "the key id (the 12 hex characters after trb_)")
    .action(async (keyId: string) => {
      await withStore(deps, async (store, out) => {
        const record = await store.revoke(keyId);
        out.write(`revoked ${record.keyId} (client ${record.clientId}) at ${record.revokedAt?.toISOString()}\n`);
      });
    });
  return keys;
}

/**
 * `tributary keys …` on its own program with injected deps (tests, scripts): exit code 0, or 2 on
 * a usage error; runtime errors are thrown.
 */
export async function keysCommand(argv: readonly string[], deps: KeysCommandDeps = {}): Promise<number> {
  const program = new Command("tributary").exitOverride();
  registerKeysCommand(program, deps).exitOverride();
  for (const sub of program.commands.flatMap((c) => c.commands)) sub.exitOverride();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "commander.helpDisplayed" || code === "commander.help" || code === "commander.version") return 0;
    if (typeof code === "string" && code.startsWith("commander.")) return 2;
    throw err;
  }
}

function listed(r: ApiKeyRecord) {
  return {
    key_id: r.keyId,
    client_id: r.clientId,
    scopes: [...r.scopes],
    rate_per_second: r.ratePerSecond,
    burst: r.burst,
    created_at: r.createdAt.toISOString(),
    revoked_at: r.revokedAt?.toISOString() ?? null,
  };
}

async function withStore(
  deps: KeysCommandDeps,
  run: (store: PgApiKeyStore, out: Writable, err: Writable) => Promise<void>,
): Promise<void> {
  const databaseUrl =
    deps.databaseUrl ?? readPlatformConfig(new EnvReader(), { serviceName: "tributary-cli", httpPort: 0 }).databaseUrl;
  const pool = openPool(databaseUrl, 2);
  try {
    await migrate(pool, authMigrationsDir(), createLogger("tributary-cli", process.env.LOG_LEVEL ?? "warn"));
    await run(new PgApiKeyStore(pool), deps.stdout ?? process.stdout, deps.stderr ?? process.stderr);
  } finally {
    await pool.end();
  }
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`must be a number > 0, got "${text}"`);
  return n;
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError(`must be an integer >= 1, got "${text}"`);
  return n;
}
