/**
 * The fidelity cases as part of `npm run bench`: each case's row (case, the paper, ours, the claim, held), the
 * mechanism it exercises, its figures and how long it took. `npm run fidelity` prints the same cases as a table.
 */
import { runCases } from './fidelity/table.js';

export async function bench(): Promise<Record<string, unknown>> {
  const runs = await runCases();
  return {
    held: `${runs.filter((r) => r.row.held).length}/${runs.length}`,
    cases: runs.map((r) => ({ ...r.row, mechanism: r.mechanism, figures: r.figures, wallSeconds: r.seconds })),
  };
}
