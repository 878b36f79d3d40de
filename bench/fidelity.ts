/**
 * `npm run fidelity`: runs every fidelity case (bench/fidelity/cases.ts) and prints one table — case, the paper's
 * figure, ours, the claim, held or not — with the model mechanism each case exercises beneath it; with `--json`,
 * one object `{ "cases": [{ "case", "paper", "ours", "claim", "held" }] }`. Exits 1 when a case is not held.
 */
import { pathToFileURL } from 'node:url';
import { runCases, formatTable } from './fidelity/table.js';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const json = process.argv.includes('--json');
  runCases().then(
    (rows) => {
      process.stdout.write(
        json ? `${JSON.stringify({ cases: rows.map((r) => r.row) }, null, 2)}\n` : formatTable(rows),
      );
      if (rows.some((r) => !r.row.held)) process.exitCode = 1;
    },
    (e: unknown) => {
      process.stderr.write(`fidelity: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
