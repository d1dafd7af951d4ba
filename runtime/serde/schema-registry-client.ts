import { errorMessage, TributaryError } from "../errors.js";

export interface RegisteredSchema {
  readonly schema: string;
  readonly schemaType: string;
}

/** Client of the Confluent-compatible schema registry API (Apicurio's `/apis/ccompat/v7`). */
export class SchemaRegistryClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #byId = new Map<number, Promise<RegisteredSchema>>();

  constructor(baseUrl: string, timeoutMs = 5_000) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = timeoutMs;
  }

  /** Registers (or finds) the schema under `subject`; returns its global id. Idempotent. */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.#request("POST", `/subjects/${encodeURIComponent(subject)}/versions`, {
      schemaType: "PROTOBUF",
      schema,
    });
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

  async subjects(): Promise<string[]> {
    return (await this.#request("GET", "/subjects")) as string[];
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/vnd.schemaregistry.v1+json", accept: "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new TributaryError("unavailable", `schema registry unreachable at ${this.#baseUrl}: ${errorMessage(err)}`, {
        canRetry: true,
        cause: err,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new TributaryError("schema_registry", `schema registry ${method} ${path} → ${response.status}: ${text}`, {
        canRetry: response.status >= 500,
      });
    }
    return JSON.parse(text) as unknown;
  }
}
