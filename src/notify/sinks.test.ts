import { describe, expect, it } from 'vitest';
import type { Notifier } from '../model/definitions.js';
import { sinksOf } from './sinks.js';

const chat: Notifier = {
  apiVersion: 'maelstrom/v1',
  kind: 'Notifier',
  metadata: { name: 'sre-chat' },
  spec: {
    urlEnv: 'CHAT_URL',
    format: 'slack',
    events: ['run.proposed'],
    signingSecretEnv: 'CHAT_SECRET',
  },
};

describe('notifiers resolved against the environment', () => {
  it('read the URL and the signing secret from the variables they name', () => {
    const { sinks, warnings } = sinksOf([chat], { CHAT_URL: 'https://hooks.example.com/x', CHAT_SECRET: 's3' });
    expect(warnings).toEqual([]);
    expect(sinks).toEqual([
      {
        name: 'sre-chat',
        url: 'https://hooks.example.com/x',
        format: 'slack',
        events: new Set(['run.proposed']),
        secret: 's3',
      },
    ]);
  });

  it('send unsigned, with a warning, when the secret variable is unset', () => {
    const { sinks, warnings } = sinksOf([chat], { CHAT_URL: 'https://hooks.example.com/x' });
    expect(sinks[0]!.secret).toBeUndefined();
    expect(warnings).toEqual(['notifier sre-chat: CHAT_SECRET is not set, so its messages go unsigned']);
  });

  it('send nothing, with a warning, when the URL variable is unset or not a URL', () => {
    expect(sinksOf([chat], {})).toEqual({
      sinks: [],
      warnings: ['notifier sre-chat: CHAT_URL is not set, so it sends nothing'],
    });
    expect(sinksOf([chat], { CHAT_URL: 'hooks.example.com' }).warnings).toEqual([
      'notifier sre-chat: CHAT_URL is not an http(s) URL, so it sends nothing',
    ]);
  });
});
