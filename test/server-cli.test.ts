/**
 * The server's commands as a user runs them: `token create` prints a secret once and stores only its hash;
 * `serve` answers with that token; `demo` prints a working dashboard link and admin token; Ctrl-C stops both cleanly.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { hashTokenSecret } from '../src/store/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-server-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a long-running command and resolves with its first output matching `pattern`. */
function start(
  args: string[],
  pattern: RegExp,
): Promise<{ child: ChildProcessWithoutNullStreams; match: RegExpExecArray; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args]);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      out += d;
    });
    child.stdout.on('data', (d: string) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve({ child, match: m, output: () => out });
    });
    child.once('exit', (code) => {
      reject(new Error(`exited with ${code}: ${out}`));
    });
  });
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
    child.kill('SIGINT');
  });
}

describe('server commands', () => {
  const store = `sqlite:${join(dir, 'm.db')}`;

  it('token create prints the secret once and stores only its SHA-256', () => {
    const r = cli('token', 'create', '--role', 'operator', '--name', 'alice', '--store', store);
    expect(r.status, r.stderr).toBe(0);
    const secret = r.stdout.trim();
    expect(secret).toMatch(/^mst_[A-Za-z0-9_-]{20,}$/);
    const db = new Database(join(dir, 'm.db'), { readonly: true });
    const dump = JSON.stringify(
      db
        .prepare("SELECT * FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((t) => db.prepare(`SELECT * FROM "${(t as { name: string }).name}"`).all()),
    );
    db.close();
    expect(dump).not.toContain(secret);
    expect(dump).toContain(hashTokenSecret(secret));
    const bad = cli('token', 'create', '--role', 'root', '--store', store);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/E_BAD_REQUEST: --role must be viewer, operator, admin or alerts/);
  });

  it('token list shows tokens without secrets; token revoke revokes one and is audited', () => {
    const created = cli('token', 'create', '--role', 'viewer', '--name', 'bob', '--store', store);
    expect(created.status, created.stderr).toBe(0);
    const listed = cli('token', 'list', '--json', '--store', store);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(created.stdout.trim());
    expect(listed.stdout).not.toContain('hash');
    const bob = (
      JSON.parse(listed.stdout) as { tokens: { id: string; name: string; role: string; revokedAt?: number }[] }
    ).tokens.find((t) => t.name === 'bob')!;
    expect(bob).toMatchObject({ role: 'viewer' });
    expect(bob.revokedAt).toBeUndefined();
    const revoked = cli('token', 'revoke', bob.id, '--store', store);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('revoked');
    expect(cli('token', 'list', '--store', store).stdout).toMatch(
      new RegExp(`${bob.id}\\s+bob\\s+viewer\\s+\\S+\\s+revoked`),
    );
    const missing = cli('token', 'revoke', 'nope', '--store', store);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toContain('no token with id "nope"');
    const db = new Database(join(dir, 'm.db'), { readonly: true });
    const actions = (db.prepare('SELECT action, target FROM audit').all() as { action: string; target: string }[]).map(
      (a) => `${a.action} ${a.target}`,
    );
    db.close();
    expect(actions).toEqual(expect.arrayContaining(['token.create bob', `token.revoke ${bob.id}`]));
    // Five CLI processes in a row, each compiling the sources on start: on a loaded machine that outlasts one minute.
  }, 180_000);

  it('serve answers with a token from the same store and stops on Ctrl-C', async () => {
    const secret = cli('token', 'create', '--role', 'viewer', '--store', store).stdout.trim();
    const { child, match } = await start(
      ['serve', '-f', 'examples', '--store', store, '--port', '0'],
      /maelstrom serve: (http:\/\/\S+) /,
    );
    const url = match[1]!;
    const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect(await me.json()).toMatchObject({ role: 'viewer' });
    expect((await fetch(`${url}/api/v1/runs`)).status).toBe(401);
    expect(await stop(child)).toBe(0);
  });

  it('one controller per store: run refuses while serve drives it; a second serve stands by and takes over when the first stops', async () => {
    const shared = `sqlite:${join(dir, 'shared.db')}`;
    const first = await start(
      ['serve', '-f', 'examples', '--store', shared, '--port', '0'],
      /maelstrom serve: (http:\/\/\S+) /,
    );
    const run = cli('run', 'evacuate-east', '-f', 'examples/', '--store', shared, '--plain');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(`another controller \\([^/]+/${first.child.pid}/\\w+\\) drives the runs of this store`),
    );
    expect(run.stdout).not.toContain('started run');
    const second = await start(
      ['serve', '-f', 'examples', '--store', shared, '--port', '0'],
      /standing by: (\S+) drives this store[\s\S]*maelstrom serve: (http:\/\/\S+) /,
    );
    expect(second.match[1]).toContain(`/${first.child.pid}/`);
    // The standby serves too, and says it does not lead.
    const health = (await (await fetch(`${second.match[2]!}/api/v1/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, leader: false, state: 'standby' });
    expect(await stop(first.child)).toBe(0);
    const deadline = Date.now() + 20_000;
    while (!/taking over from [\s\S]*leading \(epoch 2\)/.test(second.output())) {
      if (Date.now() > deadline) throw new Error(`the standby did not take over: ${second.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await stop(second.child)).toBe(0);
  }, 60_000);

  it('demo prints a dashboard link with an admin token, serves the dashboard, and stops on Ctrl-C', async () => {
    const { child, match, output } = await start(['demo', '--port', '0'], /dashboard:\s+(http:\/\/\S+)\/#token=(\S+)/);
    const [, url, token] = match;
    const me = await fetch(`${url!}/api/v1/me`, { headers: { authorization: `Bearer ${token!}` } });
    expect(await me.json()).toMatchObject({ role: 'admin' });
    const page = await fetch(`${url!}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await stop(child)).toBe(0);
    expect(output()).toMatch(/maelstrom demo: stopped/);
  });
});
