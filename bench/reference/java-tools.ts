// Java side of the reference benchmark: Kafka's own perf tools from the stack's jars, and the
// Kafka Streams reference app in bench/reference/ (built with Maven on first use).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..", "..");
const stackJars = join(root, ".stack", "lib", "kafka", "*");
const referenceDir = join(root, "bench", "reference");
const referenceJar = join(referenceDir, "target", "ping-count-reference.jar");

/** Why the Java references cannot run here, or undefined when java (and mvn, for the Streams app) exist. */
export function javaMissing(): string | undefined {
  if (spawnSync("java", ["-version"], { stdio: "ignore" }).status !== 0) return "java not found";
  if (!existsSync(join(root, ".stack", "lib", "kafka")))
    return "no Kafka jars in .stack/lib/kafka (run make bootstrap)";
  if (!existsSync(referenceJar) && spawnSync("mvn", ["-v"], { stdio: "ignore" }).status !== 0)
    return "mvn not found (needed to build bench/reference)";
  return undefined;
}

/** Builds the Streams app when its jar is missing: offline first (cached), else with downloads. */
export function buildReferenceApp(): { builtMs: number; offline: boolean } | { builtMs: 0; cached: true } {
  if (existsSync(referenceJar) && existsSync(join(referenceDir, "target", "lib"))) return { builtMs: 0, cached: true };
  const t0 = performance.now();
  const args = ["-q", "-B", "-Dstyle.color=never", "package"];
  let offline = true;
  let result = spawnSync("mvn", ["-o", ...args], { cwd: referenceDir, stdio: "inherit" });
  if (result.status !== 0) {
    offline = false;
    result = spawnSync("mvn", args, { cwd: referenceDir, stdio: "inherit" });
  }
  if (result.status !== 0) throw new Error(`mvn package in bench/reference failed (${result.status})`);
  return { builtMs: Math.round(performance.now() - t0), offline };
}

/** Runs a main class to completion; resolves with its stdout (stderr is dropped: log4j noise). */
function runJava(classpath: string, mainClass: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const child = spawn("java", ["-Xmx512m", "-cp", classpath, mainClass, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err = (err + c.toString()).slice(-4_000);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${mainClass} exited with ${code}: ${err.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

export interface ProducerPerfResult {
  readonly records: number;
  readonly recordsPerS: number;
  readonly avgLatencyMs: number;
  readonly p99LatencyMs: number;
}

/** org.apache.kafka.tools.ProducerPerformance, idempotent, acks=all, unthrottled. */
export async function producerPerformance(options: {
  brokers: string;
  topic: string;
  records: number;
  recordSizeBytes: number;
  lingerMs: number;
}): Promise<ProducerPerfResult> {
  const out = await runJava(
    stackJars,
    "org.apache.kafka.tools.ProducerPerformance",
    [
      "--topic",
      options.topic,
      "--num-records",
      String(options.records),
      "--record-size",
      String(options.recordSizeBytes),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${options.brokers}`,
      "acks=all",
      "enable.idempotence=true",
      `linger.ms=${options.lingerMs}`,
    ],
    300_000,
  );
  // "100000 records sent, 131926.1 records/sec (7.55 MB/sec), 93.21 ms avg latency, 250.00 ms max
  //  latency, 90 ms 50th, 170 ms 95th, 240 ms 99th, 250 ms 99.9th."
  const m = /(\d+) records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(out);
  if (m === null) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-500)}`);
  return {
    records: Number(m[1]),
    recordsPerS: Math.round(Number(m[2])),
    avgLatencyMs: Number(m[3]),
    p99LatencyMs: Number(m[4]),
  };
}

/** org.apache.kafka.tools.ConsumerPerformance over `records` of a preloaded topic, fresh group. */
export async function consumerPerformance(options: {
  brokers: string;
  topic: string;
  records: number;
  groupId: string;
}): Promise<{ recordsPerS: number; fetchRecordsPerS: number; rebalanceMs: number; seconds: number }> {
  const out = await runJava(
    stackJars,
    "org.apache.kafka.tools.ConsumerPerformance",
    [
      "--bootstrap-server",
      options.brokers,
      "--topic",
      options.topic,
      "--num-records",
      String(options.records),
      "--group",
      options.groupId,
      "--timeout",
      "60000",
      "--hide-header",
    ],
    300_000,
  );
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = out
    .trim()
    .split("\n")
    .filter((l) => l.split(",").length >= 10)
    .pop();
  const f = line?.split(",").map((s) => s.trim());
  if (f === undefined) throw new Error(`unexpected ConsumerPerformance output: ${out.slice(-500)}`);
  const consumed = Number(f[4]);
  if (consumed < options.records) throw new Error(`ConsumerPerformance read ${consumed} of ${options.records}`);
  return {
    recordsPerS: Math.round(Number(f[5])),
    fetchRecordsPerS: Math.round(Number(f[9])),
    rebalanceMs: Number(f[6]),
    seconds: (Number(f[6]) + Number(f[7])) / 1000,
  };
}

/** Starts the Streams reference app (runs until stopped). */
export function startStreamsApp(options: {
  brokers: string;
  inputTopic: string;
  outputTopic: string;
  applicationId: string;
  stateDir: string;
}): ChildProcess {
  return spawn(
    "java",
    [
      "-Xmx512m",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
      "-cp",
      `${referenceJar}:${join(referenceDir, "target", "lib", "*")}`,
      "dev.tributary.reference.PingCountApp",
      options.brokers,
      options.inputTopic,
      options.outputTopic,
      options.applicationId,
      options.stateDir,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopJava(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
