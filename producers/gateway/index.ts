/**
 * Contract of the gateway: nothing to import. Clients reach it over Connect, gRPC, gRPC-Web and
 * plain HTTP JSON (schemas/); services the gateway hosts live in this folder. The file exists so
 * that every flow has exactly one public module (tools/check-boundaries.ts).
 */
export {};
