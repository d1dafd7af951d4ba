import type { Pool, PoolClient } from "pg";
import type { Logger } from "../observability/logger.js";

/** A role and the tables it may read or write (from a service's registry declaration). */
export interface RoleGrants {
  readonly role: string;
  readonly tables: Readonly<Record<string, "read" | "write">>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The statements that give a role exactly its declared tables: everything it had on the schema's
 * tables and sequences is revoked first, so a table removed from the declaration loses its grant.
 * schema_migrations is readable so a service can verify its migrations (MIGRATIONS_MODE=verify).
 * No CREATE on the schema, no TRUNCATE, no ownership: DDL stays with the owner.
 */
export function grantStatements(grants: RoleGrants): string[] {
  const role = quoteIdent(grants.role);
  const statements = [
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role}`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT ON schema_migrations TO ${role}`,
  ];
  for (const [table, access] of Object.entries(grants.tables).sort(([a], [b]) => a.localeCompare(b))) {
    if (!IDENTIFIER.test(table)) throw new Error(`not a plain table name: ${table}`);
    statements.push(
      access === "write"
        ? `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${role}`
        : `GRANT SELECT ON ${table} TO ${role}`,
    );
  }
  return statements;
}

/** Sequences owned by a table's columns (serial / identity): a writer needs USAGE on them to insert. */
async function sequencesOf(client: PoolClient, table: string): Promise<string[]> {
  const rows = await client.query<{ name: string }>(
    `SELECT s.relname AS name FROM pg_class s
       JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
       JOIN pg_class t ON t.oid = d.refobjid
     WHERE s.relkind = 'S' AND t.relname = $1`,
    [table],
  );
  return rows.rows.map((r) => r.name);
}

/**
 * Applies each role's grants in one transaction per role. A role that does not exist (the local
 * stack runs every service as the owner) is skipped with a warning; returns the roles granted.
 */
export async function applyGrants(pool: Pool, all: readonly RoleGrants[], log: Logger): Promise<string[]> {
  const granted: string[] = [];
  for (const grants of all) {
    const exists = await pool.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [grants.role]);
    if (exists.rowCount === 0) {
      log.warn({ role: grants.role }, "no such role: grants skipped");
      continue;
    }
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      for (const sql of grantStatements(grants)) await client.query(sql);
      for (const [table, access] of Object.entries(grants.tables)) {
        if (access !== "write") continue;
        for (const sequence of await sequencesOf(client, table)) {
          await client.query(`GRANT USAGE, SELECT ON SEQUENCE ${quoteIdent(sequence)} TO ${quoteIdent(grants.role)}`);
        }
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    granted.push(grants.role);
    log.info({ role: grants.role, tables: grants.tables }, "grants applied");
  }
  return granted;
}
