import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { isTopicName, lookupTopic } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import type { RecordProducer } from "../runtime/kafka/kafka-adapter.js";
import type { Platform } from "../runtime/platform.js";
import type { ConsoleConfig } from "./config.js";
import { deliveriesBody, deliveriesSections } from "./pages/deliveries-page.js";
import type { SafeHtml } from "./pages/html.js";
import { layout, type PageId, type Sections } from "./pages/layout.js";
import { overviewBody, overviewSections } from "./pages/overview-page.js";
import { pingChartData, pingsBody, pingsSections } from "./pages/pings-page.js";
import { schemasBody, schemasSections } from "./pages/schemas-page.js";
import { browseBody, browseOffsetsSection, topicListBody, topicListSections } from "./pages/topics-page.js";
import { transactionsBody, transactionsSections } from "./pages/transactions-page.js";
import { Cached, type Reading, readSafely } from "./reading.js";
import { type RedriveMark, redriveMarks, redriveRecord } from "./redrive-record.js";
import { type ServiceView, serviceDirectory } from "./service-directory.js";
import { browse, parseBrowseQuery } from "./sources/browse.js";
import { DeadLetterCache, type DeliveriesState, readDeliveries } from "./sources/deliveries.js";
import { type HealthBadge, probeReadiness } from "./sources/health.js";
import { MAX_RANGE_MINUTES, type PingCounts, readPingCounts } from "./sources/pings.js";
import { readProcessors } from "./sources/processors.js";
import { readSchemas, type SubjectState } from "./sources/schemas.js";
import { TopicSampler } from "./sources/topics.js";
import { readTransactions, type TransactionsState } from "./sources/transactions.js";

/** What a page answers: its sections (HTML), chart data, and the JSON behind them (/api/...). */
export interface PageView {
  readonly page: PageId;
  readonly title: string;
  readonly sections: Sections;
  readonly charts: Readonly<Record<string, unknown>>;
  readonly data: unknown;
  readonly body: (sections: Sections) => SafeHtml;
  /** Query string of the event stream; null when the page does not update. */
  readonly events: string | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Everything the console reads, assembled per page. */
export class ConsoleApp {
  readonly services: readonly ServiceView[];
  readonly topics: TopicSampler;
  readonly dlqs: DeadLetterCache;
  readonly #gatewayUrl: string;
  readonly #schemas: Cached<Reading<readonly SubjectState[]>>;
  readonly #overview: Cached<Awaited<ReturnType<ConsoleApp["overviewState"]>>>;
  readonly #transactions: Cached<TransactionsState>;
  readonly #deliveries: Cached<DeliveriesState>;
  /** The services' /readyz, probed every healthSampleMs (not on every refresh). */
  readonly #health: Cached<ReadonlyMap<string, HealthBadge>>;
  #producer: Promise<RecordProducer> | undefined;

  constructor(
    readonly platform: Platform,
    readonly redis: Redis,
    readonly pool: Pool,
    readonly config: ConsoleConfig,
  ) {
    this.services = serviceDirectory(config);
    const prefix = platform.config.topicPrefix;
    const reuseMs = Math.max(50, config.refreshIntervalMs - 100);
    this.topics = new TopicSampler(platform.kafka, prefix, reuseMs);
    this.dlqs = new DeadLetterCache(platform.kafka, platform.codec, redis, prefix, platform.config.stateNamespace);
    this.#gatewayUrl = this.services.find((s) => s.name === "gateway")?.url ?? "http://127.0.0.1:8080";
    // Schemas change on deploys, not every second: re-read every 10 s.
    this.#schemas = new Cached(10_000, () => readSafely(() => readSchemas(platform.config.schemaRegistryUrl, prefix)));
    this.#overview = new Cached(reuseMs, () => this.overviewState());
    this.#transactions = new Cached(reuseMs, () => readTransactions(pool, this.#gatewayUrl));
    this.#deliveries = new Cached(reuseMs, () => readDeliveries(pool, this.services, this.dlqs));
    this.#health = new Cached(Math.max(reuseMs, config.healthSampleMs - 100), async () => {
      const badges = await Promise.all(this.services.map((s) => probeReadiness(s, config.probeTimeoutMs)));
      return new Map(this.services.map((s, i) => [s.name, badges[i] ?? { ok: false, detail: "not probed" }]));
    });
  }

  get redriveEnabled(): boolean {
    return this.config.redriveToken !== "";
  }

  async overviewState() {
    const [topics, health] = await Promise.all([this.topics.sample(), this.#health.get()]);
    const { processors, others } = await readProcessors(
      {
        kafka: this.platform.kafka,
        redis: this.redis,
        pool: this.pool,
        prefix: this.platform.config.topicPrefix,
        namespace: this.platform.config.stateNamespace,
      },
      this.services,
      topics,
      health,
    );
    return { topics, processors, others };
  }

  /** The page at `path` with its query; throws HttpError(404) for an unknown page or topic. */
  async view(path: string, params: URLSearchParams): Promise<PageView> {
    const events = (page: string, extra: Record<string, string> = {}) =>
      new URLSearchParams({ page, ...extra }).toString();
    if (path === "/") {
      const state = await this.#overview.get();
      return {
        page: "overview",
        title: "Overview",
        sections: overviewSections(state),
        charts: {},
        data: state,
        body: overviewBody,
        events: events("overview"),
      };
    }
    if (path === "/topics") {
      const topics = await this.topics.sample();
      return {
        page: "topics",
        title: "Topics",
        sections: topicListSections(topics),
        charts: {},
        data: topics,
        body: topicListBody,
        events: events("topics"),
      };
    }
    if (path.startsWith("/topics/")) return this.#browseView(decodeURIComponent(path.slice("/topics/".length)), params);
    if (path === "/pings") {
      const range = pingRange(params);
      const counts = await readSafely(() => readPingCounts(this.#gatewayUrl, range.fromMs, range.toMs));
      const sections = pingsSections(counts);
      const chart = counts.ok ? pingChartData(counts.value) : null;
      return {
        page: "pings",
        title: "Pings",
        sections,
        charts: chart === null ? {} : { pings: chart },
        data: counts,
        body: (s) => pingsBody(s, range, chart),
        events: events("pings", {
          from: String(range.fromMs),
          to: String(range.toMs),
          fixed: params.has("to") ? "1" : "0",
        }),
      };
    }
    if (path === "/transactions") {
      const state = await this.#transactions.get();
      return {
        page: "transactions",
        title: "Transactions",
        sections: transactionsSections(state),
        charts: {},
        data: state,
        body: transactionsBody,
        events: events("transactions"),
      };
    }
    if (path === "/deliveries") {
      const state = await this.#deliveries.get();
      return {
        page: "deliveries",
        title: "Deliveries",
        sections: deliveriesSections(state, this.redriveEnabled),
        charts: {},
        data: state,
        body: deliveriesBody,
        events: events("deliveries"),
      };
    }
    if (path === "/schemas") {
      const subjects = await this.#schemas.get();
      return {
        page: "schemas",
        title: "Schemas",
        sections: schemasSections(subjects),
        charts: {},
        data: subjects,
        body: schemasBody,
        events: events("schemas"),
      };
    }
    throw new HttpError(404, `no page ${path}`);
  }

  async #browseView(topic: string, params: URLSearchParams): Promise<PageView> {
    if (!isTopicName(topic)) throw new HttpError(404, `topic "${topic}" is not in the catalog`);
    const spec = lookupTopic(topic);
    const query = parseBrowseQuery(topic, params, this.config.browseMaxRecords);
    const result = await readSafely(
      () => browse(this.platform.kafka, this.platform.codec, this.platform.config.topicPrefix, query),
      15_000,
    );
    let data: Parameters<typeof browseBody>[0]["result"] = result.ok ? result.value : { error: result.error };
    if (result.ok && topic.endsWith(".dlq")) {
      const marks = await this.marks(topic).catch(() => new Map<string, RedriveMark>());
      data = {
        ...result.value,
        records: result.value.records.map((r) => ({ ...r, redriven: marks.get(`${r.partition}:${r.offset}`) ?? null })),
      };
    }
    const since = result.ok ? result.value.offsets.map((o) => `${o.partition}:${o.high}`).join(",") : "";
    const extra: Record<string, string> = { topic };
    if (query.follow) {
      extra.follow = "1";
      extra.since = since;
      if (query.partition !== null) extra.partition = String(query.partition);
      if (query.key !== "") extra.key = query.key;
    }
    const sections: Sections = result.ok ? { offsets: browseOffsetsSection(result.value.offsets) } : {};
    return {
      page: "topics",
      title: `Topic ${topic}`,
      sections,
      charts: {},
      data: result,
      body: () => browseBody({ topic, partitions: spec.partitions, result: data, redriveEnabled: this.redriveEnabled }),
      events: new URLSearchParams({ page: "browse", ...extra }).toString(),
    };
  }

  marks(dlqTopic: string): Promise<Map<string, RedriveMark>> {
    return redriveMarks(
      this.redis,
      this.platform.config.stateNamespace,
      physicalTopic(this.platform.config.topicPrefix, dlqTopic),
    );
  }

  /** Sections for a live update of the page an event stream names. */
  async liveSections(
    params: URLSearchParams,
  ): Promise<{ sections: Sections; charts: Readonly<Record<string, unknown>> }> {
    const page = params.get("page") ?? "";
    if (page === "browse") {
      const topic = params.get("topic") ?? "";
      if (!isTopicName(topic)) throw new HttpError(404, `topic "${topic}" is not in the catalog`);
      const offsets = await this.platform.kafka.partitionOffsets(
        physicalTopic(this.platform.config.topicPrefix, topic),
      );
      return { sections: { offsets: browseOffsetsSection(offsets) }, charts: {} };
    }
    const paths: Record<string, string> = {
      overview: "/",
      topics: "/topics",
      pings: "/pings",
      transactions: "/transactions",
      deliveries: "/deliveries",
      schemas: "/schemas",
    };
    const path = paths[page];
    if (path === undefined) throw new HttpError(404, `no page ${page}`);
    const inner = new URLSearchParams(params);
    if (page === "pings" && params.get("fixed") !== "1") {
      // A relative range ("the last hour") moves with the clock.
      const widthMs = Number(params.get("to")) - Number(params.get("from"));
      const toMs = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
      inner.set("from", String(toMs - widthMs));
      inner.set("to", String(toMs));
    }
    const view = await this.view(path, inner);
    return { sections: view.sections, charts: view.charts };
  }

  render(view: PageView): string {
    return layout({
      page: view.page,
      title: view.title,
      events: view.events,
      body: view.body(view.sections),
      refreshIntervalMs: this.config.refreshIntervalMs,
    });
  }

  producer(): Promise<RecordProducer> {
    if (this.#producer === undefined) {
      const producer = this.platform.kafka.createProducer({ sendTimeoutMs: 5_000 });
      this.#producer = producer.connect().then(() => {
        this.platform.shutdown.onShutdown("redrive-producer", () => producer.disconnect());
        return producer;
      });
      this.#producer.catch(() => {
        this.#producer = undefined;
      });
    }
    return this.#producer;
  }

  redrive(topic: string, partition: number, offset: number): Promise<RedriveMark> {
    return redriveRecord({
      kafka: this.platform.kafka,
      producer: () => this.producer(),
      redis: this.redis,
      prefix: this.platform.config.topicPrefix,
      namespace: this.platform.config.stateNamespace,
      dlqTopic: topic,
      partition,
      offset,
    });
  }

  gatewayUrl(): string {
    return this.#gatewayUrl;
  }
}

/** The pings range: from/to as ms or datetime-local (UTC); default the last hour. */
export function pingRange(params: URLSearchParams): { fromMs: number; toMs: number } {
  const parse = (value: string | null): number | null => {
    if (value === null || value === "") return null;
    if (/^\d+$/.test(value)) return Number(value);
    const ms = Date.parse(value.endsWith("Z") ? value : `${value}Z`);
    return Number.isNaN(ms) ? null : ms;
  };
  const nextMinuteMs = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
  let toMs = parse(params.get("to")) ?? nextMinuteMs;
  let fromMs = parse(params.get("from")) ?? toMs - 60 * 60_000;
  fromMs = Math.floor(fromMs / 60_000) * 60_000;
  toMs = Math.max(fromMs + 60_000, Math.ceil(toMs / 60_000) * 60_000);
  if (toMs - fromMs > MAX_RANGE_MINUTES * 60_000) fromMs = toMs - MAX_RANGE_MINUTES * 60_000;
  return { fromMs, toMs };
}

export type { PingCounts };
