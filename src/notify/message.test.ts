import { describe, expect, it } from 'vitest';
import { renderNotice, signature } from './message.js';
import { classify, deepLink, RunStates, skipNotice, switchNotice, type Notice } from './notices.js';

const proposed: Notice = {
  event: 'run.proposed',
  time: Date.parse('2026-03-02T12:00:00Z'),
  run: { id: 'run-1', plan: 'evacuate-east-now', datacenter: 'east', direction: 'drain', state: 'proposed' },
  title: 'Proposed',
  text: 'DatacenterErrorRateHigh firing: evacuate-east-now (drain east) is proposed. Its pre-flight passes.',
  action: 'approve',
  link: 'https://maelstrom.example.com/#run=run-1',
  runLink: 'https://maelstrom.example.com/#run=run-1',
  alerts: ['DatacenterErrorRateHigh'],
};

describe('notification messages', () => {
  it('are Slack incoming-webhook JSON: text, then blocks naming the run, plan and datacenter, the action first', () => {
    const body = JSON.parse(renderNotice(proposed, 'slack')) as {
      text: string;
      blocks: {
        type: string;
        text?: { text: string };
        fields?: { text: string }[];
        elements?: { text: { text: string } | string; url?: string; style?: string }[];
      }[];
    };
    expect(body.text).toContain('Proposed: DatacenterErrorRateHigh firing');
    expect(body.text).toContain('https://maelstrom.example.com/#run=run-1');
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions', 'context']);
    expect(body.blocks[0]!.text!.text).toMatch(/^\*Proposed\* — /);
    expect(body.blocks[1]!.fields!.map((f) => f.text)).toEqual([
      '*Run*\n<https://maelstrom.example.com/#run=run-1|run-1>',
      '*Plan*\nevacuate-east-now',
      '*Datacenter*\neast (drain)',
    ]);
    const [first, second] = body.blocks[2]!.elements!;
    expect(first).toMatchObject({ text: { text: 'Approve…' }, url: proposed.link, style: 'primary' });
    expect(second).toMatchObject({ text: { text: 'Open the run' } });
  });

  it('escape what Slack would read as markup', () => {
    const body = renderNotice({ ...proposed, text: 'a <b> & c' }, 'slack');
    expect(body).toContain('a &lt;b&gt; &amp; c');
  });

  it('are plain JSON in the json format', () => {
    expect(JSON.parse(renderNotice({ ...proposed, task: 'db/approve' }, 'json'))).toEqual({
      event: 'run.proposed',
      time: '2026-03-02T12:00:00.000Z',
      title: 'Proposed',
      text: proposed.text,
      action: 'approve',
      link: proposed.link,
      run: proposed.run,
      task: 'db/approve',
      alerts: ['DatacenterErrorRateHigh'],
    });
  });

  it('are signed with HMAC-SHA256 of the body as sha256=<hex>', () => {
    // The widely published reference pair for HMAC-SHA256.
    expect(signature('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('link into the dashboard as /#run=ID&task=T, on the public URL', () => {
    expect(deepLink('https://m.example.com/', 'run-1', 'user-db/approve')).toBe(
      'https://m.example.com/#run=run-1&task=user-db%2Fapprove',
    );
    expect(deepLink('http://127.0.0.1:8080', 'run-1')).toBe('http://127.0.0.1:8080/#run=run-1');
  });
});

describe('which events are told', () => {
  it('tells a start apart from a run that moves again, and a run that becomes blocked from one that stays so', () => {
    const states = new RunStates();
    const seen = (state: 'proposed' | 'pending' | 'running' | 'blocked' | 'succeeded') => {
      const e = { type: 'run.state' as const, time: 1, runId: 'r', plan: 'p', state };
      return classify(e, states.advance(e))?.event;
    };
    expect(seen('proposed')).toBe('run.proposed');
    expect(seen('pending')).toBeUndefined();
    expect(seen('running')).toBe('run.started');
    expect(seen('blocked')).toBe('run.blocked');
    expect(seen('blocked')).toBeUndefined();
    expect(seen('running')).toBeUndefined();
    expect(seen('succeeded')).toBe('run.finished');
  });

  it('tells an approval stage when it begins (not when it resumes), and a stuck task', () => {
    const start = {
      type: 'stage.start' as const,
      time: 1,
      runId: 'r',
      taskId: 'db/approve',
      stage: 0,
      uses: 'approval',
    };
    expect(classify(start, 'running')).toEqual({ event: 'approval.needed', runId: 'r', taskId: 'db/approve' });
    expect(classify({ ...start, detail: 'ask (resumed)' }, 'running')).toBeUndefined();
    expect(classify({ type: 'task.state', time: 1, runId: 'r', taskId: 't', state: 'stuck' }, 'running')?.event).toBe(
      'task.stuck',
    );
  });

  it('tell a skipped drain test and each throw of the kill switch, with the drain tests offered first', () => {
    const base = 'https://maelstrom.example.com/';
    const skip = skipNotice(
      {
        schedule: 'weekly-drain-tests',
        at: Date.parse('2026-12-22T10:00:00Z'),
        datacenter: 'central',
        reason: 'blocked',
      },
      Date.parse('2026-12-22T10:00:01Z'),
      base,
    );
    const json = JSON.parse(renderNotice(skip, 'json')) as Record<string, unknown>;
    expect(json).toEqual({
      event: 'test.skipped',
      time: '2026-12-22T10:00:01.000Z',
      title: 'Test skipped',
      text: 'The drain test of central due at 10:00 UTC (schedule weekly-drain-tests) is skipped: blocked',
      action: 'tests',
      link: 'https://maelstrom.example.com/#tests',
      schedule: 'weekly-drain-tests',
      datacenter: 'central',
    });
    const slack = JSON.parse(renderNotice(skip, 'slack')) as {
      blocks: { type: string; fields?: { text: string }[]; elements?: { text: { text: string }; style?: string }[] }[];
    };
    expect(slack.blocks[1]!.fields!.map((f) => f.text)).toEqual([
      '*Schedule*\nweekly-drain-tests',
      '*Datacenter*\ncentral',
    ]);
    expect(slack.blocks[2]!.elements).toHaveLength(1);
    expect(slack.blocks[2]!.elements![0]).toMatchObject({ text: { text: 'Open the drain tests' } });
    expect(slack.blocks[2]!.elements![0]!.style).toBeUndefined();

    const halted = switchNotice(
      { halted: true, since: 0, actor: 'ana (operator)', reason: 'incident in east', stopping: ['east'] },
      base,
    );
    expect(halted.text).toBe(
      'Drain tests halted by ana (operator): incident in east. No test starts until they are resumed. ' +
        'The running test of east is aborted and restored.',
    );
    const resumed = switchNotice({ halted: false, since: 1, actor: 'ana (operator)' }, base);
    expect([resumed.event, resumed.title, resumed.text]).toEqual([
      'tests.halted',
      'Tests resumed',
      'Drain tests resumed by ana (operator): they start again as they fall due.',
    ]);
  });
});
