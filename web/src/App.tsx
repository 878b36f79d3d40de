/**
 * The dashboard: runs that alerts proposed at the top, fleet, traffic and deliveries on the right, the plan
 * (pre-flight) or the live run on the left, history below. A deep link (`/#run=ID&task=T`, as notifications send
 * it) opens that run and task with its approval dialog, when there is something to approve. `useDashboard` holds
 * the data; the panels draw it.
 */
import { useState } from 'react';
import { forgetToken, readToken, saveToken } from './api';
import { DC_COLOURS, TrafficChart } from './Chart';
import { approvalDialog } from './Actions';
import { Confirm, type Pending } from './Confirm';
import { Fleet, fleetAt } from './Fleet';
import { Header } from './Header';
import { Deliveries, EventLog, HealthList, History } from './Panels';
import { PlanPanel } from './PlanPanel';
import { Proposals } from './Proposals';
import { RunPanel } from './RunPanel';
import { Tests } from './Tests';
import { useDashboard } from './useDashboard';

function Login({ onToken }: { onToken: (t: string) => void }) {
  const [t, setT] = useState('');
  return (
    <div className="login">
      <h1>Maelstrom</h1>
      <p>
        Paste an API token (<code>maelstrom token create --role operator</code>). It is kept for this browser tab only.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (t.trim()) onToken(t.trim());
        }}
      >
        <input
          type="password"
          value={t}
          onChange={(e) => setT(e.target.value)}
          placeholder="mst_…"
          autoFocus
          data-testid="token"
        />
        <button className="primary" type="submit">
          Open
        </button>
      </form>
    </div>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(() => readToken());
  if (!token)
    return (
      <Login
        onToken={(t) => {
          saveToken(t);
          setToken(t);
        }}
      />
    );
  return (
    <Dashboard
      token={token}
      onLogout={() => {
        forgetToken();
        setToken(null);
      }}
    />
  );
}

function Dashboard({ token, onLogout }: { token: string; onLogout: () => void }) {
  const data = useDashboard(token, onLogout);
  const [pending, setPending] = useState<Pending>();
  const [selection, setSelection] = useState<{ run: string; task: string }>();
  const { run, active, fleet, series, error, linked } = data;
  const dcs = fleet?.datacenters.map((d) => d.name) ?? [];
  // A deep link selects its task and, when it names something to approve, opens the approval dialog on it.
  const linkedTask = linked?.task;
  const approvable =
    linked &&
    (linkedTask ? linkedTask.allowedActions.includes('approve') : linked.run.allowedActions.includes('approve'));
  const linkDialog =
    linked && approvable && data.canOperate
      ? approvalDialog(linked.run, linkedTask, (c) => data.command(linked.run.id, c))
      : undefined;
  const dialog = pending ?? linkDialog;
  const past = data.past;
  const fleetThen = past?.cut ? fleetAt(past.cut, series, past.time, dcs) : undefined;
  const selected =
    run && selection?.run === run.id ? selection.task : run && linked?.run.id === run.id ? linkedTask?.id : undefined;
  const closeDialog = (): void => {
    if (!pending && linked) {
      if (linkedTask) setSelection({ run: linked.run.id, task: linkedTask.id });
      data.followedLink();
    }
    setPending(undefined);
  };
  return (
    <div className="app">
      <Header data={data} confirm={setPending} onLogout={onLogout} />
      {error && (
        <div className="banner" onClick={data.clearError}>
          {error}
        </div>
      )}
      <Proposals proposals={data.proposals} canOperate={data.canOperate} send={data.command} confirm={setPending} />
      <main>
        <section className="left">
          {!active && <PlanPanel data={data} confirm={setPending} />}
          {run && (
            <RunPanel
              key={run.id}
              run={run}
              canOperate={data.canOperate}
              blockedOn={data.blockedOn}
              send={data.command}
              confirm={setPending}
              selected={selected}
              onSelect={(task) => setSelection({ run: run.id, task })}
              events={data.events}
              steps={data.steps}
              {...(past ? { past } : {})}
              travel={data.travel}
            />
          )}
          {data.tests && (
            <div className="panel">
              <h2>Drain tests</h2>
              <Tests
                tests={data.tests}
                canOperate={data.canOperate}
                confirm={setPending}
                halt={data.haltTests}
                resume={data.resumeTests}
              />
            </div>
          )}
          <div className="panel">
            <h2>History</h2>
            <History runs={data.history} />
          </div>
        </section>
        <section className="right">
          <div className="panel">
            <h2>
              Traffic per datacenter{' '}
              <span className="legend">
                {dcs.map((d, i) => (
                  <span key={d} style={{ color: DC_COLOURS[i % DC_COLOURS.length] }}>
                    ■ {d}{' '}
                  </span>
                ))}
              </span>
            </h2>
            <TrafficChart series={series} names={dcs} cursor={past?.time} />
          </div>
          <div className="panel">
            <h2>Health</h2>
            <HealthList health={data.health} hasRun={run !== undefined} />
          </div>
          <div className="panel">
            <h2>Fleet</h2>
            {fleet ? (
              <Fleet
                fleet={fleet}
                draining={active || past ? run?.datacenter : undefined}
                {...(fleetThen ? { then: fleetThen } : {})}
              />
            ) : (
              <p className="muted">Loading…</p>
            )}
          </div>
          <div className="panel">
            <h2>Notifications</h2>
            <Deliveries list={data.deliveries} />
          </div>
          <div className="panel">
            <h2>Events</h2>
            <EventLog events={data.events} />
          </div>
        </section>
      </main>
      {dialog && <Confirm key={dialog.title} pending={dialog} onClose={closeDialog} />}
    </div>
  );
}
