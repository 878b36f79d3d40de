/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) one after another and prints
 * one JSON object of their figures. Speed goals are checked here, never by timed assertions in tests.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  bench(): Promise<Record<string, unknown>>;
}

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

const results: Record<string, unknown> = {
  machine: { node: process.version, platform: process.platform, arch: process.arch },
};
let failed = false;
for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, '');
  process.stderr.write(`bench: ${name}…\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
    results[name] = await mod.bench();
  } catch (e) {
    failed = true;
    results[name] = { error: e instanceof Error ? e.message : String(e) };
  }
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (failed) process.exitCode = 1;
