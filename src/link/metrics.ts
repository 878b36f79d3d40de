/** Prometheus text exposition for the link's processes: counters, gauges and one histogram, no dependency. */

export type Labels = Readonly<Record<string, string | number>>;

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Collects metric families in order and renders them in the text format. */
export class MetricsText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  constructor(private readonly common: Labels = {}) {}

  private declare(name: string, type: string, help: string): void {
    if (this.declared.has(name)) return;
    this.declared.add(name);
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  counter(name: string, help: string, value: number, labels: Labels = {}): this {
    this.declare(name, 'counter', help);
    this.lines.push(`${name}${labelText({ ...this.common, ...labels })} ${value}`);
    return this;
  }

  gauge(name: string, help: string, value: number, labels: Labels = {}): this {
    this.declare(name, 'gauge', help);
    this.lines.push(`${name}${labelText({ ...this.common, ...labels })} ${value}`);
    return this;
  }

  histogram(name: string, help: string, h: Histogram, labels: Labels = {}): this {
    this.declare(name, 'histogram', help);
    let cumulative = 0;
    h.bounds.forEach((le, i) => {
      cumulative += h.counts[i]!;
      this.lines.push(`${name}_bucket${labelText({ ...this.common, ...labels, le })} ${cumulative}`);
    });
    this.lines.push(`${name}_bucket${labelText({ ...this.common, ...labels, le: '+Inf' })} ${h.count}`);
    this.lines.push(`${name}_sum${labelText({ ...this.common, ...labels })} ${h.sum}`);
    this.lines.push(`${name}_count${labelText({ ...this.common, ...labels })} ${h.count}`);
    return this;
  }

  render(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** A histogram over fixed upper bounds. */
export class Histogram {
  readonly counts: number[];
  count = 0;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(x: number): void {
    this.count++;
    this.sum += x;
    const i = this.bounds.findIndex((b) => x <= b);
    if (i >= 0) this.counts[i]!++;
  }
}
