/**
 * Why a task waits for another, in words: `api/edge ← web/clusters: web → api rpc, drain callers first`. The
 * compiler records the reason of every edge (src/plan/compile.ts); `maelstrom plan --explain` and the plan JSON say it.
 */
import type { DependencyLink, TaskWait, WaitReason } from '../model/compiled.js';
import type { Direction } from '../model/definitions.js';

function rule(direction: Direction, last: DependencyLink | undefined): string {
  if (direction === 'drain') return 'drain callers first';
  return last?.kind === 'bootstrap' ? 'restore what a service needs to start first' : 'restore callees first';
}

/** `web → feed rpc → cache rpc`: the links of a chain, caller to callee, each with its kind. */
function chainText(chain: readonly DependencyLink[], direction: Direction): string {
  // A restore chain runs from the callee (moved first) to its caller: shown caller first, as the fleet declares it.
  const links = direction === 'drain' ? chain : [...chain].reverse();
  const first = links[0];
  if (!first) return 'a dependency';
  return [first.caller, ...links.map((l) => `${l.callee} ${l.kind}`)].join(' → ');
}

/** The reason in words, without the tasks. */
export function describeReason(reason: WaitReason, direction: Direction): string {
  if (reason.kind === 'runbook') return `the order of runbook ${reason.runbook}`;
  const { chain } = reason;
  const through = [...new Set(chain.slice(1).map((l) => (direction === 'drain' ? l.caller : l.callee)))];
  const between = chain.length > 1 ? ` (through ${through.join(', ')}, not moved by this plan)` : '';
  const unit = reason.unit === true ? ', one unit with the services of its dependency cycle' : '';
  return `${chainText(chain, direction)}${between}, ${rule(direction, chain[chain.length - 1])}${unit}`;
}

/** One wait in words: `web/clusters: web → feed rpc, drain callers first` (with `; weak…` when it may be overridden). */
export function describeWait(wait: TaskWait, direction: Direction): string {
  const weak = wait.weak ? '; weak: an operator may override it' : '';
  return `${describeReason(wait.because, direction)}${weak}`;
}
