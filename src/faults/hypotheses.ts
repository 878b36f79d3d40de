/**
 * Hypotheses of the lineage strategy: sets of at most K faults of the vocabulary that could break a good outcome.
 *
 * Each execution that kept a property shows one derivation of it: the supports it rested on. To break the property
 * a hypothesis must break some support of every derivation seen so far (the redundancy the runbook showed), so each
 * derivation is a clause "one of the faults that break one of its supports" and a property is the conjunction of
 * its clauses; a hypothesis must falsify some property: `p₁ ∨ p₂ ∨ …` with `pᵢ → (clause ∧ clause …)`. The formula
 * is kept in a SAT solver (logic-solver), with a sequential counter bounding how many faults are true, and the
 * minimal satisfying sets are enumerated smallest first. A counterexample forbids its supersets (they would not be
 * minimal); a hypothesis that survived is forbidden exactly, and its derivations join the formula. When the formula
 * has no model of at most K faults, no hypothesis remains: the runbook is certified for that vocabulary and K.
 */
import Logic from 'logic-solver';

const fault = (id: number): string => `f${id}`;
const idOf = (name: string): number | undefined => (/^f\d+$/.test(name) ? Number(name.slice(1)) : undefined);

export class LineageHypotheses {
  private readonly solver = new Logic.Solver();
  /** Fault variables in the order the counter chains them. */
  private readonly chained: number[] = [];
  private readonly inChain = new Set<number>();
  /** Properties with at least one derivation, and those that can no longer be broken. */
  private readonly selectors = new Set<string>();
  private readonly unbreakable = new Set<string>();
  private readonly clauses = new Set<string>();
  /** Smallest size of hypothesis that may still exist. */
  private size = 1;

  /**
   * `rank` orders the faults for the solver (the search's seed shuffles it); lower first. `tier` (0 to tiers - 1)
   * says which faults to try first: among hypotheses of one size, those of tier-0 faults only come first, then
   * those of faults of tier 1 or less, and so on.
   */
  constructor(
    readonly maxFaults: number,
    private readonly rank: (id: number) => number = (id) => id,
    private readonly tier: (id: number) => number = () => 0,
    private readonly tiers = 1,
  ) {}

  /** Assumed true: only faults of tier t or less (each fault of a higher tier is false). */
  private only(t: number): string {
    return `only${t}`;
  }

  /** `count(i, j)`: at least j of the first i+1 chained faults are true (forced upwards by the clauses). */
  private count(i: number, j: number): string {
    return `c${i}_${j}`;
  }

  private chain(ids: readonly number[]): void {
    const fresh = ids.filter((id) => !this.inChain.has(id)).sort((a, b) => this.rank(a) - this.rank(b) || a - b);
    const K = this.maxFaults;
    for (const id of fresh) {
      const i = this.chained.length;
      this.chained.push(id);
      this.inChain.add(id);
      const x = fault(id);
      for (let t = 0; t < Math.min(this.tier(id), this.tiers - 1); t++)
        this.solver.require(Logic.or(Logic.not(this.only(t)), Logic.not(x)));
      this.solver.require(Logic.or(Logic.not(x), this.count(i, 1)));
      if (i === 0) continue;
      for (let j = 1; j <= K + 1; j++) {
        this.solver.require(Logic.or(Logic.not(this.count(i - 1, j)), this.count(i, j)));
        if (j > 1) this.solver.require(Logic.or(Logic.not(x), Logic.not(this.count(i - 1, j - 1)), this.count(i, j)));
      }
    }
  }

  /** At most k of the chained faults are true. */
  private atMost(k: number): string {
    return Logic.not(this.count(this.chained.length - 1, k + 1)) as string;
  }

  /** One derivation of a property: the faults (ids) that break some support of it. Empty: nothing can. */
  addDerivation(property: string, faults: readonly number[]): void {
    const selector = `p:${property}`;
    const ids = [...new Set(faults)].sort((a, b) => a - b);
    const key = `${property}|${ids.join(',')}`;
    if (this.clauses.has(key)) return;
    this.clauses.add(key);
    if (ids.length === 0) {
      this.unbreakable.add(property);
      this.solver.forbid(selector);
      return;
    }
    this.chain(ids);
    if (!this.selectors.has(selector)) this.selectors.add(selector);
    this.solver.require(Logic.implies(selector, Logic.or(ids.map(fault))));
  }

  /** A counterexample: no superset of it is minimal. */
  blockSupersets(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.solver.forbid(Logic.and(ids.map(fault)));
  }

  /** A hypothesis that survived: never again exactly this set (a larger one may still break something). */
  blockExactly(ids: readonly number[]): void {
    if (ids.length === 0 || this.chained.length === 0) return;
    this.chain(ids);
    this.solver.forbid(Logic.and(...ids.map(fault), this.atMost(ids.length)));
  }

  /** Whether some property may still be broken (it has a derivation and is not known unbreakable). */
  private open(): string[] {
    return [...this.selectors].filter((s) => !this.unbreakable.has(s.slice(2))).sort();
  }

  /**
   * Up to `count` minimal hypotheses, smallest first, none a superset of another; empty when none of at most
   * maxFaults faults remains.
   */
  next(count: number): number[][] {
    const out: number[][] = [];
    while (out.length < count) {
      const ids = this.propose(out);
      if (!ids) break;
      out.push(ids);
    }
    return out;
  }

  /**
   * The smallest minimal hypothesis that is no superset of a pending one (proposed, its execution not yet learnt
   * from): undefined when there is none. With none pending, that stays so (the formula only grows); with some, a
   * survivor among them may open its supersets again.
   */
  propose(pending: readonly (readonly number[])[]): number[] | undefined {
    const open = this.open();
    if (open.length === 0 || this.chained.length === 0) return undefined;
    const goal = Logic.or(open);
    const notYet = pending.map((h) => Logic.not(Logic.and(h.map(fault))));
    for (let size = this.size; size <= this.maxFaults; size++) {
      for (let t = 0; t < this.tiers; t++) {
        const only = t < this.tiers - 1 ? [this.only(t)] : [];
        const solution = this.solver.solveAssuming(Logic.and(goal, this.atMost(size), ...notYet, ...only));
        if (solution)
          return solution
            .getTrueVars()
            .map(idOf)
            .filter((id): id is number => id !== undefined)
            .sort((a, b) => a - b);
      }
      // Nothing of this size is left, for good when nothing is pending.
      if (pending.length === 0) this.size = size + 1;
    }
    return undefined;
  }
}
