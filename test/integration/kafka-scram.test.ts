import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, runCommand } from "../helpers/run-command.js";
import { entryOf } from "../helpers/service-entries.js";
import { freePort, ServiceProcess } from "../helpers/service-process.js";
import { repoRoot } from "../helpers/stack-env.js";

/**
 * `KAFKA_SECURITY=scram` (stack/env.sh): a broker of the test's own (own STACK_DIR and ports,
 * the stack's jars) with only a SASL_SSL SCRAM-SHA-512 listener and a CA generated at set-up;
 * the CLI and a real gateway authenticate with the variables env.sh exports for that mode.
 */
describe("local Kafka with KAFKA_SECURITY=scram", () => {
  const stackDir = mkdtempSync(join(tmpdir(), "tributary-scram-"));
  const tlsDir = join(stackDir, "kafka-tls");
  let brokers = "";
  let env: Record<string, string> = {};
  let gateway: ServiceProcess | undefined;

  beforeAll(async () => {
    const kafkaPort = await freePort();
    const controllerPort = await freePort();
    brokers = `127.0.0.1:${kafkaPort}`;
    const up = await runCommand("bash", [join(repoRoot, "stack/stack.sh"), "up", "kafka"], {
      env: {
        STACK_DIR: stackDir,
        STACK_LIB_DIR: process.env.STACK_LIB_DIR ?? join(repoRoot, ".stack", "lib"),
        KAFKA_PORT: String(kafkaPort),
        KAFKA_CONTROLLER_PORT: String(controllerPort),
        KAFKA_SECURITY: "scram",
      },
      timeoutMs: 120_000,
    });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain("SASL_SSL SCRAM-SHA-512");
    env = {
      KAFKA_BROKERS: brokers,
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "tributary",
      KAFKA_SASL_PASSWORD_FILE: join(tlsDir, "tributary.password"),
      KAFKA_TLS_CA_FILE: join(tlsDir, "ca.pem"),
    };
  }, 150_000);

  afterAll(async () => {
    await gateway?.stop();
    const pidFile = join(stackDir, "run", "kafka.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8"));
      try {
        process.kill(pid, "SIGTERM");
        for (let i = 0; i < 60; i++) {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 500));
        }
        process.kill(pid, "SIGKILL");
      } catch {
        // exited
      }
    }
    rmSync(stackDir, { recursive: true, force: true });
  }, 60_000);

  it("generates a CA and a broker certificate for 127.0.0.1, and listens with SASL_SSL only", () => {
    const cert = execFileSync("openssl", [
      "x509",
      "-in",
      join(tlsDir, "broker.crt"),
      "-noout",
      "-ext",
      "subjectAltName",
    ]);
    expect(cert.toString()).toContain("IP Address:127.0.0.1");
    const config = readFileSync(join(stackDir, "kafka.properties"), "utf8");
    expect(config).toMatch(/^listeners=SASL_SSL:\/\/127\.0\.0\.1:\d+,CONTROLLER:/m);
    expect(config).not.toMatch(/PLAINTEXT:\/\//);
    expect(config).toContain("sasl.enabled.mechanisms=SCRAM-SHA-512");
  });

  it("creates the catalog's topics and serves a real gateway's Ping as user tributary", async () => {
    const created = await runCli(["topics", "create", "-o", "json"], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('"pings"');
    gateway = await ServiceProcess.start(entryOf("gateway"), env);
    const answer = await fetch(`http://127.0.0.1:${gateway.port}/ping.v1.PingService/Ping`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ timestampMs: String(Date.now()) }),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { offset?: string };
    expect(body.offset ?? "0").toBe("0");
    const topics = await runCli(["topics", "-o", "json"], env);
    expect(topics.code, topics.stderr).toBe(0);
    const pings = (JSON.parse(topics.stdout) as { topic: string; records: number }[]).find((t) => t.topic === "pings");
    expect(pings?.records).toBe(1);
  });

  it("refuses a wrong password", async () => {
    const wrong = join(stackDir, "wrong.password");
    writeFileSync(wrong, "not-the-password\n");
    const result = await runCli(["topics", "-o", "json"], { ...env, KAFKA_SASL_PASSWORD_FILE: wrong });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/authentication failed/i);
  });

  it("refuses a broker certificate that the configured CA did not sign", async () => {
    const otherCa = join(stackDir, "other-ca.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(stackDir, "other-ca.key"),
        "-out",
        otherCa,
        "-days",
        "1",
        "-subj",
        "/CN=someone else",
      ],
      { stdio: "ignore" },
    );
    const result = await runCli(["topics", "-o", "json"], { ...env, KAFKA_TLS_CA_FILE: otherCa });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/certificate|self.signed|verify/i);
  });
});
