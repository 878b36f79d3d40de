/** A drain test run in process on the simulator, answering its outcome and the simulator it ran on, to inspect. */
import type { SimBackend } from '../src/backends/sim/backend.js';
import { runDrainTest } from '../src/drill/drain-test.js';
import type { Definitions } from '../src/model/definitions.js';

/** Runs drain-test `scenario` (no pacers compared, no what-ifs) and keeps the simulator it drained. */
export async function drainTestOnSim(
  definitions: Definitions,
  scenario: string,
): Promise<{ outcome: string; backend: SimBackend }> {
  let backend: SimBackend | undefined;
  const [report] = await runDrainTest({
    definitions,
    scenario,
    pacers: [],
    whatIfs: 0,
    onDrill: (_pacer, result) => {
      backend = result.backend;
    },
  });
  return { outcome: report!.outcome, backend: backend! };
}
