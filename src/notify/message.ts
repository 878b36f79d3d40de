/**
 * A notice as a request body: Slack's incoming-webhook JSON (`text` for the notification, `blocks` for the message:
 * what happened, the run, the plan, the datacenter, and the action first as a button on the deep link), or
 * Maelstrom's own JSON for any other receiver. Signing: HMAC-SHA256 of the exact body, `sha256=<hex>`.
 */
import { createHmac } from 'node:crypto';
import type { Notice, NoticeAction } from './notices.js';

export type Format = 'slack' | 'json';

/** The label of a notice's first button. */
const ACTION_LABEL: Record<NoticeAction, string> = {
  approve: 'Approve…',
  review: 'Review the task',
  open: 'Open the run',
  tests: 'Open the drain tests',
};

/** Slack's mrkdwn needs only these three escaped. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackBody(n: Notice): unknown {
  const fields = [
    ...(n.run ? [`*Run*\n<${n.runLink ?? n.link}|${esc(n.run.id)}>`, `*Plan*\n${esc(n.run.plan)}`] : []),
    ...(n.run ? [`*Datacenter*\n${esc(n.run.datacenter)} (${n.run.direction})`] : []),
    ...(n.task !== undefined ? [`*Task*\n${esc(n.task)}`] : []),
    ...(n.schedule !== undefined ? [`*Schedule*\n${esc(n.schedule)}`] : []),
    ...(!n.run && n.datacenter !== undefined ? [`*Datacenter*\n${esc(n.datacenter)}`] : []),
  ];
  const buttons = [
    {
      type: 'button',
      text: { type: 'plain_text', text: ACTION_LABEL[n.action] },
      url: n.link,
      action_id: `maelstrom-${n.action}`,
      ...(n.action === 'open' || n.action === 'tests' ? {} : { style: 'primary' }),
    },
    ...(n.action !== 'open' && n.runLink !== undefined
      ? [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open the run' },
            url: n.runLink,
            action_id: 'maelstrom-open',
          },
        ]
      : []),
  ];
  return {
    text: `${n.title}: ${n.text} ${n.link}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${esc(n.title)}* — ${esc(n.text)}` } },
      ...(fields.length > 0 ? [{ type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) }] : []),
      { type: 'actions', elements: buttons },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `maelstrom · ${n.event} · ${new Date(n.time).toISOString()}` }],
      },
    ],
  };
}

function jsonBody(n: Notice): unknown {
  return {
    event: n.event,
    time: new Date(n.time).toISOString(),
    title: n.title,
    text: n.text,
    action: n.action,
    link: n.link,
    ...(n.run ? { run: n.run } : {}),
    ...(n.task !== undefined ? { task: n.task } : {}),
    ...(n.alerts ? { alerts: n.alerts } : {}),
    ...(n.schedule !== undefined ? { schedule: n.schedule } : {}),
    ...(!n.run && n.datacenter !== undefined ? { datacenter: n.datacenter } : {}),
  };
}

/** The body to send, exactly as it is signed and sent on every attempt. */
export function renderNotice(n: Notice, format: Format): string {
  return JSON.stringify(format === 'slack' ? slackBody(n) : jsonBody(n));
}

/** The `X-Maelstrom-Signature` value of a body: `sha256=` and the hex HMAC-SHA256 of it under the secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
