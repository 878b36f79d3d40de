/** The plan compiler: definitions → CompiledPlan (task DAG, waves, HCCs, pre-flight check, critical path). */
export { compilePlan, oppositePlan, ruleMatches } from './compile.js';
export { peakLoads, preflight, checkService, type PeakLoads } from './preflight.js';
export { orderServices, priorityOf, runsIn, HCC_MIN_DEPENDENTS } from './services.js';
export { planJson } from './json.js';
export { describeReason, describeWait } from './explain.js';
