import pg from "pg";
import { createDatabase, dropDatabase } from "./databases.js";
import { ServiceProcess } from "./service-process.js";
import { uniqueId } from "./stack-env.js";
import { TestPlatform } from "./test-platform.js";

/**
 * One flow on the local stack for one test file: its own topic prefix, Dragonfly namespace and
 * database, and compiled services (entry points by name) spawned on demand. Flow helpers extend
 * it with their env and queries; `close` removes all of it.
 */
export class FlowStack<N extends string> {
  readonly id: string;
  readonly prefix: string;
  readonly platform: TestPlatform;
  readonly services: Partial<Record<N, ServiceProcess>> = {};
  /** Every process started, including extra instances (kill -9 tests, scale-out). */
  readonly processes: ServiceProcess[] = [];
  databaseUrl = "";
  env: Record<string, string> = {};
  #pool: pg.Pool | undefined;

  constructor(
    label: string,
    readonly entries: Readonly<Record<N, string>>,
  ) {
    this.id = uniqueId(label);
    this.prefix = `${this.id}.`;
    this.platform = new TestPlatform(this.prefix);
  }

  /** Topics under the prefix, an empty database, and the env every spawned service gets. */
  async setUp(flowEnv: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.platform.createTopics();
    this.databaseUrl = await createDatabase(this.id);
    this.env = {
      TOPIC_PREFIX: this.prefix,
      STATE_NAMESPACE: `${this.id}:`,
      DATABASE_URL: this.databaseUrl,
      LOG_LEVEL: "warn",
      ...flowEnv,
      ...extraEnv,
    };
  }

  /** Starts the named services one after the other (in the order given). */
  async start(...names: N[]): Promise<void> {
    for (const name of names) this.services[name] = await this.spawn(name);
  }

  /** One more instance of a service (not remembered by name). */
  async spawn(name: N, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const process = await ServiceProcess.start(this.entries[name], { ...this.env, ...env });
    this.processes.push(process);
    return process;
  }

  service(name: N): ServiceProcess {
    const s = this.services[name];
    if (s === undefined) throw new Error(`${name} not started`);
    return s;
  }

  /** http://127.0.0.1:<port> of a started service. */
  urlOf(name: N): string {
    return `http://127.0.0.1:${this.service(name).port}`;
  }

  db(): pg.Pool {
    this.#pool ??= new pg.Pool({ connectionString: this.databaseUrl, max: 4 });
    return this.#pool;
  }

  /** Records on a topic of this stack (sum over partitions of end − start). */
  async topicCount(name: string): Promise<number> {
    const offsets = await this.platform.kafka.partitionOffsets(this.platform.topic(name));
    return offsets.reduce((n, o) => n + o.high - o.low, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((s) => s.stop()));
    await this.#pool?.end();
    await this.platform.close();
    if (this.databaseUrl !== "") await dropDatabase(this.id);
  }
}
