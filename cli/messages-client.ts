import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { MessageService } from "../gen/messages/v1/message_service_pb.js";

export type MessagesClient = Client<typeof MessageService>;

/** messages.v1.MessageService over Connect (HTTP/1.1, binary). */
export function messagesClient(baseUrl: string): MessagesClient {
  return createClient(MessageService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
}
