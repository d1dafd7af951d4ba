import type { Scope } from "../../runtime/auth/index.js";

/**
 * The scope every front-door method requires, in one place: `<package.Service>/<Method>` for
 * Connect, gRPC and gRPC-Web, and `POST <path>` for the plain-HTTP JSON routes. A method missing
 * here is refused (permission_denied) when AUTH_MODE=required: a new method fails closed until it
 * is given a scope (auth-scopes.spec.ts checks every registered method has one).
 */
export const METHOD_SCOPES: Readonly<Record<string, Scope>> = {
  "ping.v1.PingService/Ping": "ping:write",
  "ping.v1.PingService/PingCount": "ping:read",
  "ping.v1.PingService/PingBatch": "ping:write",
  "ping.v1.PingService/PingStream": "ping:write",
  "POST /pings": "ping:write",
  "transactions.v1.TransactionService/Start": "txn:write",
  "transactions.v1.TransactionService/Stop": "txn:write",
  "transactions.v1.TransactionService/ListPending": "txn:read",
  "notifications.v1.NotificationService/Publish": "notify:write",
  "POST /event": "notify:write",
  "postbacks.v1.PostbackService/Submit": "postback:write",
  "POST /postback": "postback:write",
  "messages.v1.MessageService/PutBatch": "messages:write",
  "messages.v1.MessageService/GetBatch": "messages:read",
  "messages.v1.MessageService/DeleteBatch": "messages:write",
  "messages.v1.MessageService/Clean": "messages:write",
  "awakari.messages.Service/PutBatch": "messages:write",
  "awakari.messages.Service/GetBatch": "messages:read",
  "awakari.messages.Service/DeleteBatch": "messages:write",
  "awakari.messages.cleaner.Service/Clean": "messages:write",
};

/** The scope of a Connect method (`typeName`, `name` as in the generated descriptors), or undefined. */
export function scopeOfRpc(serviceTypeName: string, methodName: string): Scope | undefined {
  return METHOD_SCOPES[`${serviceTypeName}/${methodName}`];
}

export function scopeOfRoute(method: string, path: string): Scope | undefined {
  return METHOD_SCOPES[`${method} ${path}`];
}
