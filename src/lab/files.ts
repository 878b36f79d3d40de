/**
 * The lab's definitions and HAProxy mapping as files, one document each, so that the commands an operator runs
 * against a real fleet (`maelstrom run … --backend haproxy:MAPPING.yaml --prometheus URL`) can drive the lab too.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { HaproxyConfig } from '../backends/haproxy/config.js';
import type { Definitions } from '../model/definitions.js';

export interface LabFiles {
  /** A folder to pass to `-f`. */
  readonly definitions: string;
  /** The file to pass as `--backend haproxy:FILE`. */
  readonly mapping: string;
}

export async function writeLabFiles(dir: string, definitions: Definitions, mapping: HaproxyConfig): Promise<LabFiles> {
  const defs = join(dir, 'definitions');
  await mkdir(defs, { recursive: true });
  const documents = [
    ...definitions.fleets.values(),
    ...definitions.templates.values(),
    ...definitions.runbooks.values(),
    ...definitions.plans.values(),
  ];
  for (const doc of documents)
    await writeFile(join(defs, `${doc.kind.toLowerCase()}-${doc.metadata.name}.yaml`), stringify(doc));
  const file = join(dir, 'haproxy-mapping.yaml');
  await writeFile(file, stringify(mapping));
  return { definitions: defs, mapping: file };
}
