import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWat } from '../../scripts/wat.js';
import { XOR_WASM_BASE64 } from './xor-wasm.js';
import { createArena, xorBytes } from './xor.js';

describe('link XOR kernels', () => {
  it('the embedded WebAssembly is xor.wat compiled (run npm run build:wasm after changing it)', async () => {
    const wat = await readFile(new URL('./xor.wat', import.meta.url), 'utf8');
    expect(await compileWat(wat)).toBe(XOR_WASM_BASE64);
  });

  it('WebAssembly SIMD is available on this runtime', () => {
    expect(createArena(64).kind).toBe('wasm-simd');
  });

  it('the SIMD and plain kernels give the same bytes as a byte-by-byte XOR', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        (a, b) => {
          const len = Math.min(a.length, b.length);
          const expected = a.slice(0, len).map((x, i) => x ^ b[i]!);
          for (const kind of ['wasm-simd', 'js'] as const) {
            const arena = createArena(1024, kind);
            arena.bytes.set(a.subarray(0, len), 0);
            arena.bytes.set(b.subarray(0, len), 256);
            arena.bytes.set(b.subarray(0, len), 512);
            arena.bytes.set(a.subarray(0, len), 768);
            arena.xor(0, 256, len);
            expect(arena.bytes.subarray(0, len)).toEqual(expected);
            arena.xor3(256, 512, 768, 0, len); // b ^ (a ^ b) = a, and a ^ (a ^ b) = b
            expect(arena.bytes.subarray(256, 256 + len)).toEqual(a.subarray(0, len));
            expect(arena.bytes.subarray(768, 768 + len)).toEqual(b.subarray(0, len));
          }
          const d = a.slice(0, len);
          xorBytes(d, b, len);
          expect(d).toEqual(expected);
        },
      ),
      { numRuns: 200, seed: 1 },
    );
  });
});
