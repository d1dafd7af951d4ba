import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../runtime/observability/logger.js";
import { migrate } from "../../runtime/state/migrations.js";
import { createDatabase, dropDatabase } from "../helpers/databases.js";
import { uniqueId } from "../helpers/stack-env.js";

// Issue 16: an applied migration that was edited afterwards was skipped silently, so databases
// differed by when they were created. Now its checksum is recorded and a change stops start-up.
const log = createLogger("test", "warn");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const FIRST = "CREATE TABLE widgets (id integer PRIMARY KEY);\n";
const SECOND = "ALTER TABLE widgets ADD COLUMN name text;\n";

const id = uniqueId("mig");
let pool: pg.Pool;
let dir = "";
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createDatabase(id), max: 2 });
  dir = mkdtempSync(join(tmpdir(), "tributary-migrations-"));
});
afterAll(async () => {
  await pool?.end();
  await dropDatabase(id);
  rmSync(dir, { recursive: true, force: true });
});

const recorded = async () =>
  (
    await pool.query<{ version: string; checksum: string }>(
      "SELECT version, checksum FROM schema_migrations ORDER BY 1",
    )
  ).rows;

describe("migrate() with checksums", () => {
  it("records each applied file's sha256 and applies nothing twice", async () => {
    writeFileSync(join(dir, "001_widgets.sql"), FIRST);
    expect(await migrate(pool, dir, log)).toEqual(["001_widgets.sql"]);
    expect(await migrate(pool, dir, log)).toEqual([]);
    expect(await recorded()).toEqual([{ version: "001_widgets.sql", checksum: sha256(FIRST) }]);
  });

  it("fails naming the file when an applied migration changed, before applying newer ones", async () => {
    writeFileSync(join(dir, "001_widgets.sql"), `${FIRST}-- an edit after the fact\n`);
    writeFileSync(join(dir, "002_widgets_name.sql"), SECOND);
    await expect(migrate(pool, dir, log)).rejects.toThrow(
      new RegExp(`migration ${join(dir, "001_widgets.sql")} changed after it was applied`),
    );
    expect((await recorded()).map((r) => r.version)).toEqual(["001_widgets.sql"]);
  });

  it("records the checksum of rows applied before checksums existed, then guards them", async () => {
    writeFileSync(join(dir, "001_widgets.sql"), FIRST);
    // A database migrated by the previous version: no checksum column.
    await pool.query("ALTER TABLE schema_migrations DROP COLUMN checksum");
    expect(await migrate(pool, dir, log)).toEqual(["002_widgets_name.sql"]);
    expect(await recorded()).toEqual([
      { version: "001_widgets.sql", checksum: sha256(FIRST) },
      { version: "002_widgets_name.sql", checksum: sha256(SECOND) },
    ]);
    writeFileSync(join(dir, "002_widgets_name.sql"), "ALTER TABLE widgets ADD COLUMN label text;\n");
    await expect(migrate(pool, dir, log)).rejects.toThrow(/002_widgets_name\.sql changed after it was applied/);
  });
});
