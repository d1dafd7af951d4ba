import type { ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { ReflectionIndex } from "./reflection-index.js";

/** grpc::StatusCode numbers carried in ErrorResponse.error_code (the protocol's own field). */
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

/** A reflection request, the same in v1 and v1alpha (the generated types differ only by name). */
export interface ReflectionQuestion {
  readonly messageRequest:
    | { readonly case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType"; readonly value: string }
    | {
        readonly case: "fileContainingExtension";
        readonly value: { readonly containingType: string; readonly extensionNumber: number };
      }
    | { readonly case: "listServices"; readonly value: string }
    | { readonly case: undefined; readonly value?: undefined };
}

/** The `message_response` of a reflection answer, valid for v1 and v1alpha alike. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** One reflection question answered from the index; "not found" is an answer, not a stream error. */
export function answerReflection(index: ReflectionIndex, question: ReflectionQuestion): ReflectionAnswer {
  const request = question.messageRequest;
  const files = (found: Uint8Array[] | undefined, what: string): ReflectionAnswer =>
    found === undefined
      ? { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } }
      : { case: "fileDescriptorResponse", value: { fileDescriptorProto: found } };
  switch (request.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.fileByName(request.value), `file ${request.value}`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(request.value), `symbol ${request.value}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = request.value;
      return files(
        index.fileContainingExtension(containingType, extensionNumber),
        `extension ${extensionNumber} of ${containingType}`,
      );
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbersOf(request.value);
      return numbers === undefined
        ? { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `type ${request.value} not found` } }
        : { case: "allExtensionNumbersResponse", value: { baseTypeName: request.value, extensionNumber: numbers } };
    }
    default:
      return { case: "errorResponse", value: { errorCode: INVALID_ARGUMENT, errorMessage: "no message_request set" } };
  }
}

/**
 * gRPC server reflection (grpc.reflection.v1, and v1alpha for older grpcurl and Postman), so
 * `grpcurl list` / `describe` and `buf curl` work without the .proto files. A bidi stream, so
 * it needs HTTP/2 (gRPC, or Connect over HTTP/2).
 */
export function registerGrpcReflection(router: ConnectRouter, index: ReflectionIndex): void {
  router.service(ServerReflectionV1, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answerReflection(index, request) };
      }
    },
  });
  router.service(ServerReflectionV1Alpha, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answerReflection(index, request) };
      }
    },
  });
}
