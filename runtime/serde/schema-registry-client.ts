import { errorMessage, TributaryError } from "../errors.js";

export interface RegisteredSchema {
  readonly schema: string;
  readonly schemaType: string;
}

/**
 * Compatibility the registry enforces between a subject's versions. BACKWARD (the default): a
 * consumer on the new schema reads every record written with the previous one, so a processor can
 * be upgraded before the producers; a stricter level (`*_TRANSITIVE`, FULL) may be chosen.
 */
export type SchemaCompatibility =
  | "BACKWARD"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD"
  | "FORWARD_TRANSITIVE"
  | "FULL"
  | "FULL_TRANSITIVE";

/** Client of the Confluent-compatible schema registry API (Apicurio's `/apis/ccompat/v7`). */
export class SchemaRegistryClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #compatibility: SchemaCompatibility;
  readonly #byId = new Map<number, Promise<RegisteredSchema>>();
  /** Subjects whose compatibility level this client has set. */
  readonly #configured = new Set<string>();

  constructor(baseUrl: string, timeoutMs = 5_000, compatibility: SchemaCompatibility = "BACKWARD") {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = timeoutMs;
    this.#compatibility = compatibility;
  }

  /**
   * Registers (or finds) the schema under `subject`; returns its global id. Idempotent. The
   * subject's compatibility level is set first, so the registry refuses a version that breaks
   * the records already written (Apicurio keeps no level otherwise: every change was accepted).
   */
  async register(subject: string, schema: string): Promise<number> {
    await this.setCompatibility(subject);
    const path = `/subjects/${encodeURIComponent(subject)}/versions`;
    const response = await this.#send("POST", path, { schemaType: "PROTOBUF", schema });
    if (response.status === 409)
      throw new TributaryError(
        "schema_registry",
        `schema for ${subject} is not ${this.#compatibility}-compatible with its registered versions: ${response.text}`,
      );
    const body = this.#parse("POST", path, response);
    const id = (body as { id?: unknown }).id;
    if (typeof id !== "number")
      throw new TributaryError("schema_registry", `registry answered without an id for ${subject}`);
    return id;
  }

  /** The schema with this id; cached, since ids are immutable. */
  getById(id: number): Promise<RegisteredSchema> {
    let cached = this.#byId.get(id);
    if (cached === undefined) {
      cached = this.#request("GET", `/schemas/ids/${id}`).then((body) => {
        const b = body as { schema?: unknown; schemaType?: unknown };
        if (typeof b.schema !== "string") throw new TributaryError("schema_registry", `schema ${id} has no text`);
        return { schema: b.schema, schemaType: typeof b.schemaType === "string" ? b.schemaType : "AVRO" };
      });
      cached.catch(() => this.#byId.delete(id));
      this.#byId.set(id, cached);
    }
    return cached;
  }

  /** Sets the subject's compatibility level (PUT /config/<subject>), once per client and subject. */
  async setCompatibility(subject: string): Promise<void> {
    if (this.#configured.has(subject)) return;
    await this.#request("PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: this.#compatibility });
    this.#configured.add(subject);
  }

  /** The subject's compatibility level as the registry reports it (its global default when unset). */
  async compatibilityOf(subject: string): Promise<string> {
    const body = (await this.#request("GET", `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`)) as {
      compatibilityLevel?: unknown;
    };
    return String(body.compatibilityLevel);
  }

  async subjects(): Promise<string[]> {
    return (await this.#request("GET", "/subjects")) as string[];
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.#parse(method, path, await this.#send(method, path, body));
  }

  async #send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    try {
      const response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/vnd.schemaregistry.v1+json", accept: "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      return { status: response.status, text: await response.text() };
    } catch (err) {
      throw new TributaryError("unavailable", `schema registry unreachable at ${this.#baseUrl}: ${errorMessage(err)}`, {
        canRetry: true,
        cause: err,
      });
    }
  }

  #parse(method: string, path: string, response: { status: number; text: string }): unknown {
    if (response.status < 200 || response.status > 299) {
      throw new TributaryError(
        "schema_registry",
        `schema registry ${method} ${path} → ${response.status}: ${response.text}`,
        { canRetry: response.status >= 500 },
      );
    }
    return JSON.parse(response.text) as unknown;
  }
}
