/**
 * maelstrom as real processes, for the tests that kill them: `maelstrom sim` serving a simulator on a free port, and
 * controllers (`maelstrom run …`) killed with SIGKILL at a chosen moment after they started or resumed their run.
 * Every process started is tracked, so that the test's afterAll can end whatever is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** What became of a controller: its exit code, or killed (code null). */
export interface ControllerExit {
  readonly code: number | null;
  readonly killed: boolean;
  /** Its stdout and stderr, interleaved. */
  readonly output: string;
}

export interface CliProcesses {
  /** `maelstrom args`, from bin/dev.ts, with its output piped. */
  readonly cli: (args: readonly string[]) => ChildProcess;
  /** Starts `maelstrom sim args… --port 0` and answers the URL it serves on. */
  readonly startSim: (args: readonly string[]) => Promise<string>;
  /**
   * Runs a controller to its exit; given `killAfterMs`, kills it (SIGKILL) that long after it printed that it started
   * or resumed its run, unless it exited first.
   */
  readonly runController: (args: readonly string[], killAfterMs?: number) => Promise<ControllerExit>;
  /** SIGKILLs every process still running. */
  readonly killAll: () => void;
}

export function cliProcesses(): CliProcesses {
  const children: ChildProcess[] = [];
  const cli = (args: readonly string[]): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    children.push(child);
    return child;
  };
  return {
    cli,
    startSim: (args) => {
      const sim = cli(['sim', ...args, '--port', '0']);
      return new Promise<string>((resolve, reject) => {
        let text = '';
        sim.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
          if (m) resolve(m[1]!);
        });
        sim.stderr!.on('data', (d: Buffer) => {
          text += d.toString();
        });
        sim.on('exit', (code) => {
          reject(new Error(`the simulator exited (${code}): ${text}`));
        });
      });
    },
    runController: async (args, killAfterMs) => {
      const controller = cli(args);
      let output = '';
      controller.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
      });
      controller.stderr!.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => {
        controller.on('exit', (code) => {
          resolve(code);
        });
      });
      if (killAfterMs === undefined) return { code: await exited, killed: false, output };
      const ready = new Promise<void>((resolve) => {
        const check = (): void => {
          if (/started run|resuming run/.test(output)) resolve();
          else if (controller.exitCode === null) setTimeout(check, 20);
        };
        check();
      });
      const outcome = await Promise.race([
        exited,
        ready.then(() => new Promise<'kill'>((r) => setTimeout(() => r('kill'), killAfterMs))),
      ]);
      if (outcome !== 'kill') return { code: outcome, killed: false, output };
      controller.kill('SIGKILL');
      await exited;
      return { code: null, killed: true, output };
    },
    killAll: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
