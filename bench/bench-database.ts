import pg from "pg";

/**
 * A fresh database on the stack's Postgres for one benchmark run, and the env a spawned flow
 * service needs to use it under its own topic prefix and namespace.
 */
export async function benchFlowEnv(id: string): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://tributary@127.0.0.1:15432/tributary";
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${id}"`);
  const url = new URL(databaseUrl);
  url.pathname = `/${id}`;
  return {
    env: { TOPIC_PREFIX: `${id}.`, STATE_NAMESPACE: `${id}:`, DATABASE_URL: url.toString() },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
