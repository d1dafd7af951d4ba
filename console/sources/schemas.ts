import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { physicalTopic } from "../../runtime/catalog/topic-names.js";
import { valueSubject } from "../../runtime/serde/topic-codec.js";
import { type Reading, readSafely } from "../reading.js";

export interface SchemaVersion {
  readonly version: number;
  readonly id: number;
  readonly schema: string;
}

export interface SubjectState {
  readonly subject: string;
  readonly topic: string;
  readonly versions: Reading<readonly SchemaVersion[]>;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(3_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} → ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/**
 * The registry subjects of the catalog's typed topics (`<topic>-value`), each with every version's
 * id and .proto text (Confluent-compatible API; Apicurio's ccompat in the local stack).
 */
export async function readSchemas(registryUrl: string, prefix: string): Promise<SubjectState[]> {
  const base = registryUrl.replace(/\/+$/, "");
  const subjects = new Set(await getJson<string[]>(`${base}/subjects`));
  const typed = topicCatalog.filter((t) => t.message !== null);
  return Promise.all(
    typed.map(async (t): Promise<SubjectState> => {
      const subject = valueSubject(physicalTopic(prefix, t.name));
      if (!subjects.has(subject))
        return { subject, topic: t.name, versions: { ok: false, error: "not registered", atMs: Date.now() } };
      const enc = encodeURIComponent(subject);
      const versions = await readSafely(async () => {
        const numbers = await getJson<number[]>(`${base}/subjects/${enc}/versions`);
        return Promise.all(
          numbers.map(async (v) => {
            const body = await getJson<{ version: number; id: number; schema: string }>(
              `${base}/subjects/${enc}/versions/${v}`,
            );
            return { version: body.version, id: body.id, schema: body.schema };
          }),
        );
      });
      return { subject, topic: t.name, versions };
    }),
  );
}
