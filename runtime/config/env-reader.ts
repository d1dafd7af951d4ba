import { TributaryError } from "../errors.js";

/** Reads typed values from an environment map; every failure names the variable. */
export class EnvReader {
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#env = env;
  }

  /** Whether the variable is set to a non-empty value. */
  has(name: string): boolean {
    const raw = this.#env[name];
    return raw !== undefined && raw !== "";
  }

  string(name: string, defaultValue: string): string {
    const raw = this.#env[name];
    return raw === undefined || raw === "" ? defaultValue : raw;
  }

  int(name: string, defaultValue: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.#env[name];
    if (raw === undefined || raw === "") return defaultValue;
    if (!/^-?\d+$/.test(raw.trim())) {
      throw invalid(name, `must be an integer, got "${raw}"`);
    }
    const value = Number(raw.trim());
    if (range.min !== undefined && value < range.min) throw invalid(name, `must be >= ${range.min}, got ${value}`);
    if (range.max !== undefined && value > range.max) throw invalid(name, `must be <= ${range.max}, got ${value}`);
    return value;
  }

  port(name: string, defaultValue: number): number {
    return this.int(name, defaultValue, { min: 0, max: 65535 });
  }

  url(name: string, defaultValue: string, protocols: readonly string[]): string {
    const value = this.string(name, defaultValue);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw invalid(name, `must be a URL, got "${value}"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw invalid(name, `must use ${protocols.join(" or ")}, got "${parsed.protocol}"`);
    }
    return value;
  }

  list(name: string, defaultValue: readonly string[]): string[] {
    const raw = this.#env[name];
    if (raw === undefined || raw === "") return [...defaultValue];
    const items = raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (items.length === 0) throw invalid(name, "must list at least one value");
    return items;
  }

  oneOf<T extends string>(name: string, defaultValue: T, allowed: readonly T[]): T {
    const value = this.string(name, defaultValue);
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalid(name, `must be one of ${allowed.join(", ")}, got "${value}"`);
    }
    return value as T;
  }
}

function invalid(name: string, detail: string): TributaryError {
  return new TributaryError("config_invalid", `invalid configuration: ${name} ${detail}`, { field: name });
}
