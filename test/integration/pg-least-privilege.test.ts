import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceRegistry } from "../../services/registry.js";
import { createDatabase, dropDatabase, queryOne } from "../helpers/databases.js";
import { FlowStack } from "../helpers/flow-stack.js";
import { runCli } from "../helpers/run-command.js";
import { entryOf } from "../helpers/service-entries.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { repoRoot, stackEnv } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

/** Tables and views every migration folder creates. */
function migratedTables(): Set<string> {
  const names = new Set<string>();
  for (const service of serviceRegistry) {
    for (const folder of service.postgres?.migrations ?? []) {
      for (const file of readdirSync(join(repoRoot, folder)).filter((f) => f.endsWith(".sql"))) {
        const sql = readFileSync(join(repoRoot, folder, file), "utf8");
        for (const m of sql.matchAll(/CREATE (?:OR REPLACE )?(?:TABLE|VIEW)(?: IF NOT EXISTS)? ([a-z_]+)/gi)) {
          names.add((m[1] as string).toLowerCase());
        }
      }
    }
  }
  return names;
}

/** Known tables a folder's SQL (non-test .ts files) reads or writes. */
function tablesUsedIn(dir: string, known: Set<string>): Set<string> {
  const used = new Set<string>();
  for (const entry of readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || /\.(spec|test)\.ts$/.test(entry.name)) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), "utf8");
    for (const m of text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)/g)) {
      const name = m[1] as string;
      if (known.has(name)) used.add(name);
    }
  }
  return used;
}

const services = {
  gateway: entryOf("gateway"),
  "pings-sink": entryOf("pings-sink"),
  "transactions-sink": entryOf("transactions-sink"),
};

describe("Postgres least privilege: one role per service, DDL only by `tributary migrate`", () => {
  const stack = new FlowStack("lp", services);
  const rolePrefix = `${stack.id}_`;
  const pgServices = serviceRegistry.filter((s) => s.postgres !== undefined);
  const roleUrl = (service: string): string => {
    const url = new URL(stack.databaseUrl);
    url.username = `${rolePrefix}${service}`;
    return url.toString();
  };
  const asRole = async <T>(service: string, run: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: roleUrl(service) });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  };
  const sqlError = (service: string, sql: string) =>
    asRole(service, (c) => c.query(sql)).then(
      () => "allowed",
      (err: { code?: string }) => err.code,
    );

  beforeAll(async () => {
    await stack.setUp({ PINGS_SINK_GROUP_ID: `${stack.id}-pings`, TRANSACTIONS_SINK_GROUP_ID: `${stack.id}-txn` });
    for (const s of pgServices) await stack.db().query(`CREATE ROLE "${rolePrefix}${s.name}" LOGIN`);
  });

  afterAll(async () => {
    await stack.close();
    const admin = new pg.Client({ connectionString: stackEnv.DATABASE_URL });
    await admin.connect();
    try {
      for (const s of pgServices) await admin.query(`DROP ROLE IF EXISTS "${rolePrefix}${s.name}"`);
    } finally {
      await admin.end();
    }
  });

  it("declares every table each service's SQL touches", () => {
    const known = migratedTables();
    expect(known.size).toBeGreaterThanOrEqual(12);
    for (const service of serviceRegistry) {
      const declared = Object.keys(service.postgres?.tables ?? {});
      const undeclared = [...tablesUsedIn(service.dir, known)].filter((t) => !declared.includes(t));
      expect(undeclared, `${service.name} uses tables it does not declare`).toEqual([]);
    }
  });

  it("`tributary migrate --grants` creates every table as the owner and grants each role its own", async () => {
    const result = await runCli(["migrate", "--grants", "--role-prefix", rolePrefix], {
      DATABASE_URL: stack.databaseUrl,
      LOG_LEVEL: "warn",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`grants for ${pgServices.length} role(s)`);
    const again = await runCli(["migrate", "--grants", "--role-prefix", rolePrefix], {
      DATABASE_URL: stack.databaseUrl,
    });
    expect(again.stdout, again.stdout).toMatch(/^0 migration\(s\) applied/);
  });

  it("refuses DDL and other services' tables to a service's role", async () => {
    expect(await sqlError("pings-sink", "CREATE TABLE lp_intruder (x int)")).toBe("42501");
    expect(await sqlError("pings-sink", "INSERT INTO transactions (transaction_id) VALUES ('x')")).toBe("42501");
    expect(await sqlError("pings-sink", "SELECT * FROM tributary_api_keys")).toBe("42501");
    expect(await sqlError("pings-sink", "TRUNCATE pings")).toBe("42501");
    expect(await sqlError("gateway", "DELETE FROM pings")).toBe("42501");
    expect(await sqlError("gateway", "SELECT count(*) FROM pings")).toBe("allowed");
    expect(await sqlError("transactions-sink", "DROP TABLE transactions")).toBe("42501");
  });

  it("runs the gateway and two sinks as their own roles with MIGRATIONS_MODE=verify", async () => {
    for (const name of ["pings-sink", "transactions-sink", "gateway"] as const) {
      stack.services[name] = await stack.spawn(name, { DATABASE_URL: roleUrl(name), MIGRATIONS_MODE: "verify" });
    }
    const gateway = stack.urlOf("gateway");
    const post = (path: string, body: object) =>
      fetch(`${gateway}/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < 20; i++)
      expect((await post("ping.v1.PingService/Ping", { timestampMs: String(Date.now()) })).status).toBe(200);
    const start = await post("transactions.v1.TransactionService/Start", {
      clientId: "lp",
      transactionId: `${stack.id}-t1`,
      callbackTarget: "http://127.0.0.1:1/cb",
      timeoutSeconds: 3600,
    });
    expect(start.status).toBe(200);
    const rows = async (table: string) =>
      Number((await queryOne<{ n: string }>(stack.databaseUrl, `SELECT count(*) AS n FROM ${table}`))?.n);
    await waitUntil(async () => (await rows("pings")) === 20, {
      timeoutMs: 60_000,
      describe: async () =>
        `pings rows: ${await rows("pings")} of 20; pings-sink said: ${stack.service("pings-sink").output.join("").slice(-2000)}`,
    });
    await waitUntil(async () => (await rows("transactions")) === 1, {
      timeoutMs: 60_000,
      describe: async () => `transactions rows: ${await rows("transactions")} of 1`,
    });
    const count = await post("ping.v1.PingService/PingCount", {});
    expect(count.status).toBe(200);
  });

  it("a service in verify mode waits for missing migrations, then fails naming them", async () => {
    const name = `${stack.id}empty`;
    const url = await createDatabase(name);
    try {
      const failed = await ServiceProcess.start(entryOf("pings-sink"), {
        DATABASE_URL: url,
        MIGRATIONS_MODE: "verify",
        MIGRATIONS_WAIT_MS: "2000",
        TOPIC_PREFIX: stack.prefix,
        LOG_LEVEL: "warn",
      }).then(
        () => "started",
        (err: Error) => err.message,
      );
      expect(failed).toMatch(/waiting for migrations/);
      expect(failed).toMatch(/migrations not applied after 2000 ms: 000_tributary_offsets\.sql/);
    } finally {
      await dropDatabase(name);
    }
  });
});
