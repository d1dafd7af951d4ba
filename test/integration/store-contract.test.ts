import { Redis } from "ioredis";
import pg from "pg";
import { afterAll } from "vitest";
import { createLogger } from "../../runtime/observability/logger.js";
import { migrate } from "../../runtime/state/migrations.js";
import { migrationsDir } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
import { RedisStateStore } from "../../runtime/state/redis-state-store.js";
import { RedisTimerStore } from "../../runtime/state/redis-timer-store.js";
import { describeOffsetSafeStore } from "../contracts/offset-safe-store.contract.js";
import { contractTimerKeys, describeTimerStore } from "../contracts/timer-store.contract.js";
import { createDatabase, dropDatabase } from "../helpers/databases.js";
import { stackEnv, uniqueId } from "../helpers/stack-env.js";

// The real stores against the stack's Redis and Postgres, under the same contract as the
// in-memory store the deterministic driver uses.
const redis = new Redis(stackEnv.REDIS_URL);
const databases: string[] = [];
afterAll(async () => {
  redis.disconnect();
  for (const db of databases) await dropDatabase(db);
});

describeOffsetSafeStore("RedisStateStore (Dragonfly protocol, one Lua script)", async () => {
  const id = uniqueId("contract");
  const stateKey = `${id}:state`;
  const store = new RedisStateStore<number>(redis, `${id}:offsets`, (chunks) =>
    chunks.map((c) => ({ op: "hincrby", key: stateKey, field: "sum", by: c.batch })),
  );
  return {
    store,
    applied: async () => Number((await redis.hget(stateKey, "sum")) ?? "0"),
    close: async () => {
      await redis.del(stateKey, `${id}:offsets`);
    },
  };
});

describeOffsetSafeStore("PgStateStore (one SQL transaction)", async () => {
  const id = uniqueId("contract");
  databases.push(id);
  const pool = new pg.Pool({ connectionString: await createDatabase(id), max: 4 });
  await migrate(pool, migrationsDir(), createLogger("contract", "silent"));
  await pool.query("CREATE TABLE amounts (amount int NOT NULL)");
  const store = new PgStateStore<number>(pool, "contract", async (client, chunks) => {
    for (const c of chunks) await client.query("INSERT INTO amounts VALUES ($1)", [c.batch]);
  });
  return {
    store,
    applied: async () => Number((await pool.query("SELECT coalesce(sum(amount), 0) AS s FROM amounts")).rows[0].s),
    close: () => pool.end(),
  };
});

describeTimerStore("RedisTimerStore", async () => {
  const id = uniqueId("contract");
  const keys = contractTimerKeys(id);
  return {
    store: new RedisTimerStore(redis, keys, "t"),
    keys,
    topic: "t",
    close: async () => {
      await redis.del(keys.offsets, keys.watermarks, ...keys.timerBuckets(0));
    },
  };
});
