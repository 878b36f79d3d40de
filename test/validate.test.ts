import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAndLint, loadOrFail } from '../src/load/check.js';
import { MaelstromError } from '../src/model/errors.js';
import { formatDiagnostic } from '../src/load/diagnostic.js';

const dir = 'test/fixtures/bad';
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** `code@line` for every `# expect: CODE…` at the end of a line, and every `# expect at line N: CODE…`. */
function expectations(file: string): string[] {
  const out: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const at = /#\s*expect at line (\d+):\s*(.+)$/.exec(text);
      if (at) {
        for (const code of (at[2] ?? '').trim().split(/\s+/)) out.push(`${code}@${at[1]}`);
        return;
      }
      const m = /#\s*expect:\s*(.+)$/.exec(text);
      if (m) for (const code of (m[1] ?? '').trim().split(/\s+/)) out.push(`${code}@${i + 1}`);
    });
  return out.sort();
}

describe('validate reports each rule at its file and line', () => {
  it('accepts the reference examples without a diagnostic', async () => {
    const { diagnostics } = await loadAndLint(['examples']);
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
  });

  for (const fixture of fixtures) {
    it(`${fixture}: reports exactly the expected codes at the expected lines`, async () => {
      const file = join(dir, fixture);
      const want = expectations(file);
      expect(want.length).toBeGreaterThan(0);
      const { diagnostics } = await loadAndLint(['examples', file]);
      const elsewhere = diagnostics.filter((d) => d.file !== file);
      expect(elsewhere.map(formatDiagnostic)).toEqual([]);
      const got = diagnostics.map((d) => `${d.code}@${d.line}`).sort();
      expect(got, diagnostics.map(formatDiagnostic).join('\n')).toEqual(want);
    });
  }

  it('shows a cycle with its path', async () => {
    const { diagnostics } = await loadAndLint([
      'examples',
      join(dir, 'cycle-fleet.yaml'),
      join(dir, 'cycle-runbook.yaml'),
    ]);
    const messages = diagnostics.filter((d) => d.code === 'E_CYCLE').map((d) => d.message);
    expect(messages).toContain('dependency cycle: front → middle → back → front');
    expect(messages).toContain('task cycle: chicken → egg → chicken (each waits for the next)');
  });

  it('points inside an expression at the mistake', async () => {
    const file = join(dir, 'expression.yaml');
    const { diagnostics } = await loadAndLint(['examples', file]);
    const d = diagnostics.find((x) => x.message.includes('datacentre'));
    const line = readFileSync(file, 'utf8').split('\n')[(d?.line ?? 1) - 1] ?? '';
    expect(line.slice((d?.column ?? 1) - 1)).toMatch(/^datacentre/);
  });

  it('loadOrFail returns the definitions, passes warnings on, and throws every error at once', async () => {
    const warnings: string[] = [];
    const defs = await loadOrFail(['examples', join(dir, 'no-restore.yaml')], { warn: (w) => warnings.push(w) });
    expect(defs.plans.has('evacuate-north')).toBe(true);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^test\/fixtures\/bad\/no-restore\.yaml:29:9: warning W_NO_RESTORE: /),
    );
    expect(warnings.join('\n')).toContain('plan "restore-south-partly" has no runbook to restore service "chat"');
    const failure = await loadOrFail(['examples', join(dir, 'capacity.yaml')], { warn: () => undefined }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(MaelstromError);
    const e = failure as MaelstromError;
    expect(e.code).toBe('E_CAPACITY');
    expect(e.message.split('\n')).toEqual([
      '2 errors in the definitions:',
      'test/fixtures/bad/capacity.yaml:15:12: error E_CAPACITY: the capacity of "s" in "a" must be a positive number, not 0',
      'test/fixtures/bad/capacity.yaml:16:12: error E_CAPACITY: the capacity of "s" in "b" must be a positive number, not -5',
    ]);
  });
});

describe('messages that teach', () => {
  const messages = async (fixture: string): Promise<string[]> => {
    const file = join(dir, fixture);
    const { diagnostics } = await loadAndLint(['examples', file]);
    return diagnostics.filter((d) => d.file === file).map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`);
  };

  it('explains YAML mistakes in plain words at the line to change, with the indentation to use', async () => {
    expect(await messages('yaml-indentation.yaml')).toEqual([
      '8:5 E_YAML this line is indented more than "fleet" on line 7, which already has a value: ' +
        'line it up with "fleet" (column 3), or take the value off "fleet" to nest it there',
      '15:16 E_YAML the value of "description" holds ": ", which YAML reads as another key on the same line: ' +
        "quote the value ('…')",
      '20:1 E_YAML a tab indents this line: YAML indents with spaces only (replace the tab with spaces)',
      '28:7 E_YAML this "{" is never closed: end it with "}" on the same line ' +
        '(or write its entries as indented lines, without "{")',
      '39:6 E_YAML this line starts at column 6, but "type" on line 38 starts at column 7: ' +
        'indent it the same to belong to the same item, or start it with "- " to begin a new one',
    ]);
  });

  it('reports a document that does not parse once, and nothing that names what it would have defined', async () => {
    const { diagnostics } = await loadAndLint(['examples', join(dir, 'yaml-knock-on.yaml')]);
    expect(diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      'test/fixtures/bad/yaml-knock-on.yaml:11 E_YAML',
    ]);
  });

  it('says where a misplaced or misspelt key belongs', async () => {
    expect(await messages('unknown-key.yaml')).toEqual([
      '6:3 E_SCHEMA metadata.descripton: unknown key "descripton"; did you mean "description"?',
      '15:3 E_SCHEMA spec.targetUtilization: unknown key "targetUtilization"; did you mean pacing.targetUtilization?',
    ]);
  });

  it('suggests the catalogue function a misspelt one was meant to be', async () => {
    expect(await messages('expression.yaml')).toContain(
      '18:13 E_EXPR unknown function utilisation(); did you mean utilization()?',
    );
  });

  it("names the value found and what was expected instead of the validator's words", async () => {
    expect(await messages('schema.yaml')).toContain('12:16 E_SCHEMA spec.concurrency: is too large a number');
  });
});

describe('kind and apiVersion errors', () => {
  it('name the value they got and suggest the closest allowed one', async () => {
    const file = join(dir, 'kind.yaml');
    const { diagnostics } = await loadAndLint(['examples', file]);
    expect(diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      '2: kind "Runbok" is not one of Fleet, TaskTemplate, Runbook, Plan, Scenario, Schedule, Trigger, Notifier; did you mean "Runbook"?',
      '6: apiVersion "mealstrom/v1" is not maelstrom/v1; did you mean "maelstrom/v1"?',
      '12: kind "Pipeline" is not one of Fleet, TaskTemplate, Runbook, Plan, Scenario, Schedule, Trigger, Notifier',
      '16: kind is missing: it must be one of Fleet, TaskTemplate, Runbook, Plan, Scenario, Schedule, Trigger, Notifier',
    ]);
  });

  it('name another version as the version it is', async () => {
    const file = join(dir, 'schema.yaml');
    const { diagnostics } = await loadAndLint(['examples', file]);
    expect(diagnostics.map((d) => d.message)).toContain(
      'apiVersion "maelstrom/v2" is not maelstrom/v1; did you mean "maelstrom/v1"?',
    );
  });
});
