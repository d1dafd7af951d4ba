import { type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * What server reflection answers from: the files of the served services and, transitively,
 * every file they import, indexed by file name, by fully-qualified symbol and by extension.
 * Built once from the generated descriptors (no .proto files are read at run time).
 */
export class ReflectionIndex {
  /** Fully-qualified names of the served services, sorted. */
  readonly serviceNames: readonly string[];
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();
  /** `extendee type name` → extension number → file declaring it. */
  readonly #extensions = new Map<string, Map<number, DescFile>>();
  /** File name → the serialized FileDescriptorProtos of it and its transitive imports, it first. */
  readonly #answers = new Map<string, Uint8Array[]>();

  constructor(services: readonly DescService[]) {
    this.serviceNames = [...new Set(services.map((s) => s.typeName))].sort();
    for (const service of services) this.#addFile(service.file);
  }

  /** The file named `fileName` ("ping/v1/ping_service.proto") with its imports, or undefined. */
  fileByName(fileName: string): Uint8Array[] | undefined {
    const file = this.#files.get(fileName);
    return file === undefined ? undefined : this.#answer(file);
  }

  /** The file declaring `symbol` (package, service, method, message, field, enum, value, extension). */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.#symbols.get(symbol.startsWith(".") ? symbol.slice(1) : symbol);
    return file === undefined ? undefined : this.#answer(file);
  }

  /** The file declaring extension `number` of message `extendee`, or undefined. */
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined {
    const file = this.#extensions.get(extendee)?.get(number);
    return file === undefined ? undefined : this.#answer(file);
  }

  /** The extension numbers known for message `typeName` (sorted); undefined for an unknown message. */
  extensionNumbersOf(typeName: string): number[] | undefined {
    if (!this.#symbols.has(typeName)) return undefined;
    return [...(this.#extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b);
  }

  #addFile(file: DescFile): void {
    const fileName = file.proto.name;
    if (this.#files.has(fileName)) return;
    this.#files.set(fileName, file);
    for (const dependency of file.dependencies) this.#addFile(dependency);
    // A package name resolves too: grpcurl asks for it when describing a package.
    if (file.proto.package !== "") this.#symbols.set(file.proto.package, file);
    for (const type of nestedTypes(file)) {
      this.#symbols.set(type.typeName, file);
      switch (type.kind) {
        case "service":
          for (const method of type.methods) this.#symbols.set(`${type.typeName}.${method.name}`, file);
          break;
        case "message":
          for (const field of type.fields) this.#symbols.set(`${type.typeName}.${field.name}`, file);
          for (const oneof of type.oneofs) this.#symbols.set(`${type.typeName}.${oneof.name}`, file);
          break;
        case "enum": {
          // Enum values are scoped like their enum's siblings (protobuf's C++ scoping rule).
          const scope = type.typeName.slice(0, type.typeName.length - type.name.length);
          for (const value of type.values) this.#symbols.set(`${scope}${value.name}`, file);
          break;
        }
        case "extension": {
          const numbers = this.#extensions.get(type.extendee.typeName) ?? new Map<number, DescFile>();
          numbers.set(type.number, file);
          this.#extensions.set(type.extendee.typeName, numbers);
          break;
        }
      }
    }
  }

  #answer(file: DescFile): Uint8Array[] {
    let answer = this.#answers.get(file.proto.name);
    if (answer === undefined) {
      answer = withImports(file).map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
      this.#answers.set(file.proto.name, answer);
    }
    return answer;
  }
}

/** `file` first, then every file it imports, transitively, each once. */
function withImports(file: DescFile): DescFile[] {
  const seen = new Set<string>();
  const order: DescFile[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    order.push(f);
    for (const dependency of f.dependencies) visit(dependency);
  };
  visit(file);
  return order;
}
