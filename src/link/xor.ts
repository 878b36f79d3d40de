/**
 * The XOR kernels of the codec, over one arena of memory that holds the encoder's accumulators and a scratch
 * slot. Every slot starts at a multiple of 16 and XORs run over whole 16-byte words, so the kernels never meet an
 * unaligned or ragged edge: the WebAssembly SIMD kernel (xor.wat) XORs 16 bytes per instruction, the plain one 4
 * (Int32Array words). WebAssembly SIMD is used when the runtime has it (Node 16.4 on), the plain kernel otherwise
 * or when asked for (`MAELSTROM_LINK_XOR=js`), and both give the same bytes (xor.test.ts).
 */
import { XOR_WASM_BASE64 } from './xor-wasm.js';

export type XorKernelKind = 'wasm-simd' | 'js';

export interface XorArena {
  /** The arena's bytes; slot offsets index into it. */
  readonly bytes: Uint8Array;
  readonly kind: XorKernelKind;
  /** bytes[dst, dst + len) ^= bytes[src, src + len); offsets are multiples of 16, len is rounded up to 16. */
  xor(dst: number, src: number, len: number): void;
  /** The same source XORed into three places in one pass over it. */
  xor3(a: number, b: number, c: number, src: number, len: number): void;
}

/** Rounds up to a multiple of 16, the kernels' word. */
export const pad16 = (n: number): number => (n + 15) & ~15;

interface WasmXor {
  xor(dst: number, src: number, len: number): void;
  xor3(a: number, b: number, c: number, src: number, len: number): void;
}

/** The part of the WebAssembly API used here (the ES2023 library the project compiles against does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer };
  Instance: new (m: object, imports: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let wasmModule: object | null | undefined;

function compiledModule(): object | null {
  if (wasmModule === undefined) {
    try {
      wasmModule = wasm ? new wasm.Module(Buffer.from(XOR_WASM_BASE64, 'base64')) : null;
    } catch {
      wasmModule = null; // no SIMD in this runtime: the plain kernel serves
    }
  }
  return wasmModule;
}

function wasmArena(size: number, module: object, api: WasmApi): XorArena {
  const memory = new api.Memory({ initial: Math.ceil(size / 65_536) || 1 });
  const exports = new api.Instance(module, { env: { memory } }).exports as WasmXor;
  // The memory never grows, so its buffer is never detached and this view stays valid.
  const bytes = new Uint8Array(memory.buffer, 0, size);
  return {
    bytes,
    kind: 'wasm-simd',
    xor: (dst, src, len) => exports.xor(dst, src, pad16(len)),
    xor3: (a, b, c, src, len) => exports.xor3(a, b, c, src, pad16(len)),
  };
}

function jsArena(size: number): XorArena {
  const bytes = new Uint8Array(size);
  const words = new Int32Array(bytes.buffer);
  return {
    bytes,
    kind: 'js',
    xor(dst, src, len) {
      const d = dst >> 2;
      const s = src >> 2;
      const n = pad16(len) >> 2;
      for (let i = 0; i < n; i++) words[d + i]! ^= words[s + i]!;
    },
    xor3(a, b, c, src, len) {
      const wa = a >> 2;
      const wb = b >> 2;
      const wc = c >> 2;
      const s = src >> 2;
      const n = pad16(len) >> 2;
      for (let i = 0; i < n; i++) {
        const w = words[s + i]!;
        words[wa + i]! ^= w;
        words[wb + i]! ^= w;
        words[wc + i]! ^= w;
      }
    },
  };
}

/** The kernel that `createArena` picks on this runtime, unless one is asked for. */
export function defaultKernel(): XorKernelKind {
  if (process.env.MAELSTROM_LINK_XOR === 'js') return 'js';
  return compiledModule() ? 'wasm-simd' : 'js';
}

/** An arena of `size` bytes (rounded up to 16) with the asked-for kernel, or the fastest this runtime has. */
export function createArena(size: number, kind: XorKernelKind = defaultKernel()): XorArena {
  const padded = pad16(Math.max(16, size));
  const module = kind === 'wasm-simd' ? compiledModule() : null;
  return module && wasm ? wasmArena(padded, module, wasm) : jsArena(padded);
}

/** dst[0, len) ^= src[0, len) for any two byte arrays: the receiver's rebuild, which runs only after a loss. */
export function xorBytes(dst: Uint8Array, src: Uint8Array, len: number): void {
  let i = 0;
  if ((dst.byteOffset & 3) === 0 && (src.byteOffset & 3) === 0 && len >= 16) {
    const n = len >> 2;
    const d = new Int32Array(dst.buffer, dst.byteOffset, n);
    const s = new Int32Array(src.buffer, src.byteOffset, n);
    for (let w = 0; w < n; w++) d[w]! ^= s[w]!;
    i = n << 2;
  }
  for (; i < len; i++) dst[i]! ^= src[i]!;
}
