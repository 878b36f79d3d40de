/** WebAssembly text to binary (as base64) with wabt, a development dependency only: the product ships the binary. */
import initWabt from 'wabt';

export async function compileWat(text: string): Promise<string> {
  const wabt = await initWabt();
  const module = wabt.parseWat('xor.wat', text, { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer).toString('base64');
  } finally {
    module.destroy();
  }
}
