// The part of logic-solver's API the fault search uses (the package ships no types).
declare module 'logic-solver' {
  /** A formula: a variable name (`"-x"` is its negation), or a formula built by the functions below. */
  type Formula = string | { readonly type: string };
  interface Bits {
    readonly bits: readonly Formula[];
  }
  interface Solution {
    getTrueVars(): string[];
    evaluate(formula: Formula): boolean;
  }
  interface Solver {
    require(...formulas: Formula[]): void;
    forbid(...formulas: Formula[]): void;
    solve(): Solution | null;
    solveAssuming(formula: Formula): Solution | null;
  }
  const Logic: {
    Solver: new () => Solver;
    TRUE: Formula;
    FALSE: Formula;
    not(f: Formula): Formula;
    or(...fs: (Formula | readonly Formula[])[]): Formula;
    and(...fs: (Formula | readonly Formula[])[]): Formula;
    implies(a: Formula, b: Formula): Formula;
    atMostOne(...fs: (Formula | readonly Formula[])[]): Formula;
    sum(...fs: (Formula | readonly Formula[])[]): Bits;
    constantBits(n: number): Bits;
    lessThanOrEqual(a: Bits, b: Bits): Formula;
  };
  export default Logic;
}
