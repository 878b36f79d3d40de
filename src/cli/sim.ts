/** `maelstrom sim SCENARIO -f PATH… [--speed N] [--port P]`: a simulated fleet as its own process. */
import type { Command } from 'commander';
import { createSimBackend } from '../backends/sim/backend.js';
import { scaledClock, startSimServer } from '../backends/sim/server.js';
import { loadOrFail } from '../load/check.js';
import { MaelstromError } from '../model/errors.js';
import { collect } from './collect.js';
import { addClockOptions, applyClockOptions, type ClockOffsetOptions } from './clock-offset.js';

interface SimOptions extends ClockOffsetOptions {
  readonly file?: string[];
  readonly speed: string;
  readonly port: string;
  readonly seed?: string;
}

function positiveNumber(text: string, what: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"`,
    );
  return n;
}

export function registerSim(program: Command): void {
  const command = program.command('sim');
  addClockOptions(command);
  command
    .description(
      'Run a simulated fleet as its own process, serving the backend interface and /metrics over HTTP on 127.0.0.1.',
    )
    .argument('<scenario>', 'name of the Scenario to run')
    .option('-f, --file <path>', 'definition file or directory (repeatable)', collect)
    .option('--speed <n>', 'simulated seconds per wall-clock second', '1')
    .option('--port <p>', 'port on 127.0.0.1 (0: any free port)', '7070')
    .option('--seed <n>', "override the scenario's seed")
    .action(async (scenarioName: string, opts: SimOptions) => {
      applyClockOptions(opts);
      const speed = positiveNumber(opts.speed, '--speed');
      const port = positiveNumber(opts.port, '--port', true);
      if (!Number.isInteger(port) || port > 65535)
        throw new MaelstromError('E_BAD_REQUEST', `--port must be a whole number up to 65535, got "${opts.port}"`);
      const definitions = await loadOrFail(opts.file?.length ? opts.file : ['.']);
      const scenario = definitions.scenarios.get(scenarioName);
      if (!scenario) {
        const known = [...definitions.scenarios.keys()].join(', ') || 'none';
        throw new MaelstromError('E_NOT_FOUND', `no scenario "${scenarioName}" (scenarios: ${known})`);
      }
      const fleet = definitions.fleets.get(scenario.spec.fleet);
      if (!fleet)
        throw new MaelstromError(
          'E_UNKNOWN_REF',
          `scenario ${scenarioName} names fleet "${scenario.spec.fleet}", which is not defined`,
        );
      const clock = scaledClock(Date.parse(scenario.spec.start), speed);
      const backend = createSimBackend({
        fleet,
        scenario,
        clock,
        name: 'sim',
        ...(opts.seed !== undefined ? { seed: Math.trunc(positiveNumber(opts.seed, '--seed', true)) } : {}),
      });
      const server = await startSimServer(backend, { speed, port, scenario: scenarioName });
      process.stdout.write(
        `maelstrom sim: scenario ${scenarioName} at ${speed}x on ${server.url} ` +
          `(backend sim+${server.url}, metrics ${server.url}/metrics)\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      process.stdout.write('maelstrom sim: stopped\n');
    });
}
