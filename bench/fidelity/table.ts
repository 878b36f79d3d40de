/** Running the fidelity cases and printing their table. */
import { CASES, type CaseOutcome, type FidelityCase } from './cases.js';

/** One line of the table: the contract of `npm run fidelity -- --json`. */
export interface FidelityRow {
  readonly case: string;
  readonly paper: string;
  readonly ours: string;
  readonly claim: string;
  readonly held: boolean;
}

export interface CaseRun {
  readonly row: FidelityRow;
  readonly mechanism: string;
  readonly figures: CaseOutcome['figures'];
  /** Wall-clock seconds the case took (its drills, unless another case ran them first). */
  readonly seconds: number;
}

/** Runs one case; a case that throws is reported as not held, with the error as its figure. */
export async function runCase(c: FidelityCase): Promise<CaseRun> {
  const started = performance.now();
  let outcome: CaseOutcome;
  try {
    outcome = await c.run();
  } catch (e) {
    outcome = { ours: `error: ${e instanceof Error ? e.message : String(e)}`, held: false, figures: {} };
  }
  return {
    row: { case: c.case, paper: c.paper, ours: outcome.ours, claim: c.claim, held: outcome.held },
    mechanism: c.mechanism,
    figures: outcome.figures,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** Every case, one after another (they share drills). */
export async function runCases(cases: readonly FidelityCase[] = CASES): Promise<CaseRun[]> {
  const out: CaseRun[] = [];
  for (const c of cases) out.push(await runCase(c));
  return out;
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length > 0 ? lines : [''];
}

const COLUMNS = [
  { title: 'case', width: 22, of: (r: FidelityRow) => r.case },
  { title: 'the paper', width: 30, of: (r: FidelityRow) => r.paper },
  { title: 'ours', width: 52, of: (r: FidelityRow) => r.ours },
  { title: 'the claim', width: 40, of: (r: FidelityRow) => r.claim },
  { title: 'held', width: 4, of: (r: FidelityRow) => (r.held ? 'yes' : 'NO') },
] as const;

/** The table as text: one block of wrapped lines per case, then the mechanism each case exercises. */
export function formatTable(runs: readonly CaseRun[]): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(COLUMNS[i]!.width)).join(' | ')} |`;
  const rule = `|${COLUMNS.map((c) => '-'.repeat(c.width + 2)).join('|')}|`;
  const out = [line(COLUMNS.map((c) => c.title)), rule];
  for (const run of runs) {
    const cells = COLUMNS.map((c) => wrap(c.of(run.row), c.width));
    const height = Math.max(...cells.map((c) => c.length));
    for (let i = 0; i < height; i++) out.push(line(cells.map((c) => c[i] ?? '')));
    out.push(rule);
  }
  const held = runs.filter((r) => r.row.held).length;
  out.push('', `${held} of ${runs.length} held.`, '', 'Mechanisms (src/sim/README.md, "Fidelity"):');
  for (const run of runs) out.push(`- ${run.row.case}: ${run.mechanism}.`);
  return `${out.join('\n')}\n`;
}
