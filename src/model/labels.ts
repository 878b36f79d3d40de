/**
 * Alert label matching, as Alertmanager and Prometheus mean it: `=` and `!=` compare the value, `=~` and `!~`
 * match a regular expression anchored at both ends (`east` matches only "east", `east|west` either), and a label
 * the alert lacks has the empty value. Shared by lint (which compiles each expression once, at its line) and the
 * alert intake.
 */
import type { LabelMatcher } from './definitions.js';

/** The anchored expression of a `=~` / `!~` matcher; throws SyntaxError when it is not a regular expression. */
export function matcherRegex(value: string): RegExp {
  return new RegExp(`^(?:${value})$`, 'u');
}

/** Whether one matcher holds for the labels. */
export function matchesLabel(m: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.label] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return matcherRegex(m.value).test(v);
    case '!~':
      return !matcherRegex(m.value).test(v);
  }
}

/** Whether every matcher holds for the labels. */
export function matchesLabels(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matchesLabel(m, labels));
}
