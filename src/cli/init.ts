/**
 * `maelstrom init DIR --datacenters a,b [--services N] [--fleet NAME]`: writes a starter set of definitions for one's
 * own fleet (src/cli/starter.ts) that validates and drains as written. It never overwrites: a file of the set that
 * already exists in DIR is an error, and nothing is written.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Name } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { packageRoot } from '../server/start.js';
import { starterFiles } from './starter.js';

export interface InitOptions {
  readonly datacenters: readonly string[];
  readonly services?: number;
  readonly fleet?: string;
}

const DEFAULT_SERVICES = 6;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The folder's name when it is a valid name (`acme` for `./acme`), else `my-fleet`. */
function fleetName(dir: string): string {
  const base = basename(resolve(dir)).toLowerCase();
  return Name.safeParse(base).success ? base : 'my-fleet';
}

/** Writes the starter set into `dir` (created if missing); returns the paths written. */
export async function initStarter(dir: string, options: InitOptions): Promise<string[]> {
  const examples = join(packageRoot(), 'examples');
  const files = starterFiles({
    fleet: options.fleet ?? fleetName(dir),
    datacenters: options.datacenters,
    services: options.services ?? DEFAULT_SERVICES,
    templates: await readFile(join(examples, 'templates.yaml'), 'utf8'),
    runbooks: await readFile(join(examples, 'runbooks.yaml'), 'utf8'),
  });
  const taken: string[] = [];
  for (const [name] of files) if (await exists(join(dir, name))) taken.push(join(dir, name));
  if (taken.length > 0)
    throw new MaelstromError(
      'E_FILE',
      `${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}: init never overwrites`,
    );
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFile(path, text, { flag: 'wx' });
    written.push(path);
  }
  return written;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'write a starter set for your own fleet: fleet, templates, runbooks, drain and restore plans, drain tests',
    )
    .argument('<dir>', 'the folder to write into (created if missing)')
    .requiredOption('--datacenters <names>', 'your datacenters, comma-separated (at least two), e.g. east,west')
    .option('--services <n>', `how many services, at least 4: one of each traffic type (default ${DEFAULT_SERVICES})`)
    .option('--fleet <name>', "the fleet's name (default: the folder's name)")
    .action(async (dir: string, opts: { datacenters: string; services?: string; fleet?: string }) => {
      const datacenters = opts.datacenters
        .split(',')
        .map((d) => d.trim())
        .filter((d) => d !== '');
      const services = opts.services !== undefined ? Number(opts.services) : undefined;
      const written = await initStarter(dir, {
        datacenters,
        ...(services !== undefined ? { services } : {}),
        ...(opts.fleet !== undefined ? { fleet: opts.fleet } : {}),
      });
      const [first] = datacenters;
      process.stdout.write(
        [
          ...written.map((p) => `wrote ${p}`),
          '',
          'Next:',
          `  maelstrom validate -f ${dir}`,
          `  maelstrom plan evacuate-${first} -f ${dir} --explain`,
          `  maelstrom drain-test drain-test-${first} -f ${dir}`,
          `  maelstrom demo -f ${dir}`,
          'docs/getting-started.md walks through each step.',
          '',
        ].join('\n'),
      );
    });
}
