/**
 * The part of the WebAssembly JavaScript API Vigil uses. Node provides it globally, but
 * TypeScript only declares it in the DOM libraries, which a server must not pull in.
 */
declare namespace WebAssembly {
  // biome-ignore lint/suspicious/noEmptyInterface: opaque handle, merged with other declarations
  interface Module {}
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  interface WebAssemblyInstantiatedSource {
    instance: Instance;
    module: Module;
  }
  type Imports = Record<string, Record<string, unknown>>;
  const Module: { new (bytes: ArrayBufferView | ArrayBuffer): Module };
  const Instance: { new (module: Module, imports?: Imports): Instance };
  const Memory: { new (descriptor: MemoryDescriptor): Memory };
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
