/** The `maelstrom` command line: one file per command, registered here. */
import { Command } from 'commander';
import { registerValidate } from './validate.js';
import { registerPlan } from './plan.js';
import { registerSim } from './sim.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';
import { registerOperate } from './operate.js';
import { registerDrainTest } from './drain-test.js';
import { registerServe } from './serve.js';
import { registerDemo } from './demo.js';
import { registerLab, registerLabController } from './lab.js';
import { registerToken } from './token.js';
import { registerWorker } from './worker.js';
import { registerSchedule } from './schedule.js';
import { registerTests } from './tests.js';
import { registerLink } from './link.js';
import { registerTimeline } from './timeline.js';
import { registerInit } from './init.js';

export function buildProgram(): Command {
  const program = new Command('maelstrom')
    .description('Drain traffic out of a failing datacenter safely and fast, restore it, and rehearse it every week.')
    .version('0.1.0')
    .showHelpAfterError();
  registerInit(program);
  registerValidate(program);
  registerPlan(program);
  registerSim(program);
  registerRun(program);
  registerStatus(program);
  registerOperate(program);
  registerDrainTest(program);
  registerServe(program);
  registerDemo(program);
  registerLab(program);
  registerLabController(program);
  registerToken(program);
  registerWorker(program);
  registerSchedule(program);
  registerTests(program);
  registerLink(program);
  registerTimeline(program);
  return program;
}
