import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { answerReflection } from "./grpc-reflection.js";
import { ReflectionIndex } from "./reflection-index.js";

const index = new ReflectionIndex([PingService, TransactionService, PingService]);
const names = (blobs: Uint8Array[] | undefined) =>
  (blobs ?? []).map((b) => fromBinary(FileDescriptorProtoSchema, b).name);

describe("ReflectionIndex", () => {
  it("lists each service once, sorted", () => {
    expect(index.serviceNames).toEqual(["ping.v1.PingService", "transactions.v1.TransactionService"]);
  });

  it("finds a file by service, method, message, field and package, file first then its imports", () => {
    for (const symbol of [
      "ping.v1.PingService",
      "ping.v1.PingService.Ping",
      ".ping.v1.PingRequest",
      "ping.v1.PingRequest.timestamp_ms",
    ]) {
      expect(names(index.fileContainingSymbol(symbol))[0], symbol).toBe("ping/v1/ping_service.proto");
    }
    const transactions = names(index.fileByName("transactions/v1/transaction_service.proto"));
    expect(transactions[0]).toBe("transactions/v1/transaction_service.proto");
    expect(new Set(transactions).size).toBe(transactions.length);
  });

  it("answers not found for unknown symbols, files and extensions, and invalid_argument for no question", () => {
    expect(index.fileContainingSymbol("no.such.Thing")).toBeUndefined();
    expect(answerReflection(index, { messageRequest: { case: "fileByFilename", value: "nope.proto" } })).toMatchObject({
      case: "errorResponse",
      value: { errorCode: 5 },
    });
    expect(
      answerReflection(index, {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "ping.v1.PingRequest", extensionNumber: 7 },
        },
      }),
    ).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    expect(
      answerReflection(index, { messageRequest: { case: "allExtensionNumbersOfType", value: "ping.v1.PingRequest" } }),
    ).toEqual({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "ping.v1.PingRequest", extensionNumber: [] },
    });
    expect(answerReflection(index, { messageRequest: { case: undefined } })).toMatchObject({ value: { errorCode: 3 } });
  });
});
