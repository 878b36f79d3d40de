/** The run's task DAG, laid out by dagre (left to right), each node coloured by state with its shift progress. */
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import { useMemo } from 'react';
import type { TaskView } from './api';

const W = 168;
const H = 44;

interface Props {
  tasks: readonly {
    id: string;
    after: readonly string[];
    state?: TaskView['state'];
    progress?: number;
    stage?: number;
    stages?: readonly string[];
    stuck?: boolean;
  }[];
  critical?: ReadonlySet<string>;
  selected?: string;
  onSelect?: (id: string) => void;
  /** The run is paused: its running tasks hold where they are and are shown so. */
  held?: boolean;
}

/** A graph's shape as one string, `id<parent,parent;…`: the layout is redone only when it changes. */
function shapeOf(tasks: Props['tasks']): string {
  return tasks.map((t) => `${t.id}<${t.after.join(',')}`).join(';');
}

function layoutOf(shape: string) {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'LR', nodesep: 10, ranksep: 36, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const tasks = shape === '' ? [] : shape.split(';').map((entry) => entry.split('<') as [string, string]);
  const ids = new Set(tasks.map(([id]) => id));
  for (const [id] of tasks) g.setNode(id, { width: W, height: H });
  for (const [id, after] of tasks) for (const a of after ? after.split(',') : []) if (ids.has(a)) g.setEdge(a, id);
  dagre.layout(g);
  const nodes = new Map<string, { x: number; y: number }>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { x: n.x ?? 0, y: n.y ?? 0 });
  }
  const edges = g.edges().map((e) => ({ key: `${e.v}->${e.w}`, from: e.v, to: e.w, points: g.edge(e).points ?? [] }));
  const gr = g.graph();
  return { nodes, edges, width: (gr.width ?? 0) + 16, height: (gr.height ?? 0) + 16 };
}

export function Dag({ tasks, critical, selected, onSelect, held }: Props) {
  // The layout depends on the graph's shape only, not on live states.
  const shape = shapeOf(tasks);
  const layout = useMemo(() => layoutOf(shape), [shape]);

  return (
    <div className="dag-wrap">
      {/* Scaled down to the panel's width when wider, but to no less than 80 % so that its text stays readable;
          beyond that it scrolls. */}
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        style={{ width: '100%', maxWidth: layout.width, minWidth: Math.round(layout.width * 0.8), height: 'auto' }}
        className="dag"
        role="img"
        aria-label="task graph"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L8,4 L0,8 z" fill="#56606e" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <polyline
            key={e.key}
            className={critical?.has(e.from) && critical.has(e.to) ? 'edge crit' : 'edge'}
            points={e.points.map((p: { x: number; y: number }) => `${p.x},${p.y}`).join(' ')}
            markerEnd="url(#arrow)"
          />
        ))}
        {tasks.map((t) => {
          const p = layout.nodes.get(t.id);
          if (!p) return null;
          const state = t.stuck ? 'stuck' : (t.state ?? 'planned');
          const progress = t.state === 'running' ? t.progress : t.state === 'succeeded' ? 1 : undefined;
          const isHeld = held === true && t.state === 'running';
          return (
            <g
              key={t.id}
              transform={`translate(${p.x - W / 2},${p.y - H / 2})`}
              className={`node s-${state}${isHeld ? ' held' : ''}${critical?.has(t.id) ? ' crit' : ''}${selected === t.id ? ' sel' : ''}`}
              data-testid="task"
              data-task={t.id}
              data-state={state}
              onClick={() => onSelect?.(t.id)}
            >
              <title>
                {`${t.id}: ${state}${isHeld ? ' (held: the run is paused)' : ''}` +
                  (t.stages ? ` — stages: ${t.stages.join(' → ')}` : '')}
              </title>
              <rect width={W} height={H} rx="3" />
              <text x="8" y="17" className="n-id">
                {t.id.length > 24 ? `${t.id.slice(0, 23)}…` : t.id}
              </text>
              <text x="8" y="33" className="n-sub">
                {state}
                {isHeld
                  ? ' · held (paused)'
                  : t.state === 'running' && t.stages && t.stage !== undefined
                    ? ` · ${t.stage + 1}/${t.stages.length} ${t.stages[t.stage] ?? ''}`
                    : ''}
              </text>
              {progress !== undefined && (
                <rect className="bar" x="0" y={H - 3} width={W * Math.max(0, Math.min(1, progress))} height="3" />
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
