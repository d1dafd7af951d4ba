import type { DescService } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Service as CleanerService } from "../../gen/awakari/messages/cleaner/service_pb.js";
import { Service as AwakariMessagesService } from "../../gen/awakari/messages/service_pb.js";
import { MessageService } from "../../gen/messages/v1/message_service_pb.js";
import { NotificationService } from "../../gen/notifications/v1/notification_service_pb.js";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { PostbackService } from "../../gen/postbacks/v1/postback_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { isScope } from "../../runtime/auth/index.js";
import { METHOD_SCOPES, scopeOfRoute, scopeOfRpc } from "./auth-scopes.js";

// Every service the gateway registers (main.ts, message-doors.ts, postback-doors.ts).
const SERVED: DescService[] = [
  PingService,
  TransactionService,
  NotificationService,
  PostbackService,
  MessageService,
  AwakariMessagesService,
  CleanerService,
];

describe("METHOD_SCOPES", () => {
  it("gives every served method a scope (a new method fails closed until it has one)", () => {
    const missing = SERVED.flatMap((s) => s.methods.map((m) => [s.typeName, m.name] as const)).filter(
      ([service, method]) => scopeOfRpc(service, method) === undefined,
    );
    expect(missing).toEqual([]);
  });

  it("names only known scopes, and the plain routes", () => {
    for (const scope of Object.values(METHOD_SCOPES)) expect(isScope(scope)).toBe(true);
    expect(scopeOfRoute("POST", "/event")).toBe("notify:write");
    expect(scopeOfRoute("POST", "/postback")).toBe("postback:write");
  });

  it("splits reads from writes", () => {
    expect(scopeOfRpc("ping.v1.PingService", "Ping")).toBe("ping:write");
    expect(scopeOfRpc("ping.v1.PingService", "PingCount")).toBe("ping:read");
    expect(scopeOfRpc("transactions.v1.TransactionService", "Start")).toBe("txn:write");
    expect(scopeOfRpc("transactions.v1.TransactionService", "Stop")).toBe("txn:write");
    expect(scopeOfRpc("transactions.v1.TransactionService", "ListPending")).toBe("txn:read");
    expect(scopeOfRpc("messages.v1.MessageService", "GetBatch")).toBe("messages:read");
    expect(scopeOfRpc("transactions.v1.CallbackService", "OnTimeout")).toBeUndefined();
  });
});
