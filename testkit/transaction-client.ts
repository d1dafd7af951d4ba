import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { TransactionStarted } from "../gen/transactions/v1/transaction_event_pb.js";
import { TransactionService } from "../gen/transactions/v1/transaction_service_pb.js";

export type TransactionClient = Client<typeof TransactionService>;

/** TransactionService over Connect (HTTP/1.1, JSON-free binary), as any client would call it. */
export function transactionClient(baseUrl: string): TransactionClient {
  return createClient(TransactionService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
}

/**
 * Every pending transaction of a client, following ListPending's pages (the first page alone
 * holds at most 1,000 by default). `caughtUp` is true only when every page said so.
 */
export async function listAllPending(
  client: TransactionClient,
  clientId: string,
  options: { pageSize?: number; maxPages?: number } = {},
): Promise<{ pending: TransactionStarted[]; caughtUp: boolean; pages: number }> {
  const pending: TransactionStarted[] = [];
  let caughtUp = true;
  let pageToken = "";
  let pages = 0;
  do {
    const page = await client.listPending({ clientId, pageToken, pageSize: options.pageSize ?? 0 });
    pending.push(...page.pending);
    caughtUp &&= page.caughtUp;
    pageToken = page.nextPageToken;
    pages++;
    if (pages >= (options.maxPages ?? 10_000) && pageToken !== "") {
      throw new Error(`ListPending of ${clientId}: more than ${pages} pages`);
    }
  } while (pageToken !== "");
  return { pending, caughtUp, pages };
}
