import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { TransactionService } from "../gen/transactions/v1/transaction_service_pb.js";

export type TransactionClient = Client<typeof TransactionService>;

/** TransactionService over Connect (HTTP/1.1, JSON-free binary), as any client would call it. */
export function transactionClient(baseUrl: string): TransactionClient {
  return createClient(TransactionService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
}
