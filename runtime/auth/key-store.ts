import type { Pool } from "pg";
import { TributaryError } from "../errors.js";
import { migrationsDirBeside } from "../state/pg-pool.js";
import { generateApiKey, hashSecret } from "./api-key.js";
import { isScope, type Scope } from "./scopes.js";

/** One stored key (never its secret). */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly clientId: string;
  readonly scopes: readonly Scope[];
  readonly secretSha256: Buffer;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface NewApiKey {
  readonly clientId: string;
  readonly scopes: readonly Scope[];
  /** Sustained calls per second the key may make. */
  readonly ratePerSecond: number;
  /** Calls the key may make at once above the sustained rate (bucket size). */
  readonly burst: number;
}

/** Defaults of `keys create`: generous for a client, bounded against a runaway loop. */
export const DEFAULT_RATE_PER_SECOND = 100;
export const DEFAULT_BURST = 200;
const MAX_CLIENT_ID_CHARS = 256;

/** The folder of the `tributary_api_keys` migration (apply with runtime/state/migrations migrate). */
export function authMigrationsDir(): string {
  return migrationsDirBeside(import.meta.url);
}

interface Row {
  key_id: string;
  client_id: string;
  scopes: string[];
  secret_sha256: Buffer;
  rate_per_second: number;
  burst: number;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = "key_id, client_id, scopes, secret_sha256, rate_per_second, burst, created_at, revoked_at";

/** API keys in Postgres (`tributary_api_keys`): created, looked up by key id, listed, revoked. */
export class PgApiKeyStore {
  constructor(private readonly pool: Pool) {}

  /** Stores a new key; the returned token is the only time the secret exists outside the caller. */
  async create(key: NewApiKey): Promise<{ token: string; record: ApiKeyRecord }> {
    validateNewKey(key);
    const generated = generateApiKey();
    const rows = await this.pool.query<Row>(
      `INSERT INTO tributary_api_keys (key_id, client_id, scopes, secret_sha256, rate_per_second, burst)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [generated.keyId, key.clientId, key.scopes, hashSecret(generated.secret), key.ratePerSecond, key.burst],
    );
    return { token: generated.token, record: toRecord(rows.rows[0] as Row) };
  }

  async find(keyId: string): Promise<ApiKeyRecord | null> {
    const rows = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM tributary_api_keys WHERE key_id = $1`, [keyId]);
    const row = rows.rows[0];
    return row === undefined ? null : toRecord(row);
  }

  async list(clientId?: string): Promise<ApiKeyRecord[]> {
    const rows =
      clientId === undefined
        ? await this.pool.query<Row>(`SELECT ${COLUMNS} FROM tributary_api_keys ORDER BY created_at, key_id`)
        : await this.pool.query<Row>(
            `SELECT ${COLUMNS} FROM tributary_api_keys WHERE client_id = $1 ORDER BY created_at, key_id`,
            [clientId],
          );
    return rows.rows.map(toRecord);
  }

  /** Marks the key revoked (idempotent: the first revocation time is kept). */
  async revoke(keyId: string): Promise<ApiKeyRecord> {
    const rows = await this.pool.query<Row>(
      `UPDATE tributary_api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1 RETURNING ${COLUMNS}`,
      [keyId],
    );
    const row = rows.rows[0];
    if (row === undefined) throw new TributaryError("not_found", `no API key ${keyId}`, { field: "key_id" });
    return toRecord(row);
  }
}

function validateNewKey(key: NewApiKey): void {
  if (key.clientId.trim() === "" || key.clientId.length > MAX_CLIENT_ID_CHARS) {
    throw new TributaryError("invalid_argument", `must be 1..${MAX_CLIENT_ID_CHARS} characters`, {
      field: "client",
    });
  }
  if (key.scopes.length === 0) throw new TributaryError("invalid_argument", "at least one scope", { field: "scopes" });
  if (!(Number.isFinite(key.ratePerSecond) && key.ratePerSecond > 0)) {
    throw new TributaryError("invalid_argument", `must be > 0, got ${key.ratePerSecond}`, {
      field: "rate-per-second",
    });
  }
  if (!(Number.isInteger(key.burst) && key.burst >= 1)) {
    throw new TributaryError("invalid_argument", `must be an integer >= 1, got ${key.burst}`, { field: "burst" });
  }
}

function toRecord(row: Row): ApiKeyRecord {
  return {
    keyId: row.key_id,
    clientId: row.client_id,
    // A scope removed from the code since the key was made is dropped, not trusted.
    scopes: row.scopes.filter(isScope),
    secretSha256: row.secret_sha256,
    ratePerSecond: Number(row.rate_per_second),
    burst: row.burst,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
