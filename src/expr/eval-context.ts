/** What an expression is evaluated against: kept apart so that the catalogue and the evaluator can share it. */
import type { Fleet, ParamValue } from '../model/definitions.js';
import type { FleetSnapshot } from '../model/readings.js';

export interface EvalContext {
  readonly snapshot: FleetSnapshot;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly fleet: Fleet;
  /** The plan's target utilisation, used by `headroom`. */
  readonly targetUtilization: number;
}
