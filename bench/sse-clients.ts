/**
 * Event-stream clients for the load benchmark, in a process of their own so that reading 200 streams does not
 * share an event loop with the load generator that times the status requests.
 * Usage: sse-clients URL TOKEN N. Prints `ready` once every stream is open; on a line `report` on stdin it prints
 * one JSON line `{ "seqs": [[…] per client], "errors": N }` and exits.
 */
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

interface Client {
  seqs: Set<number>;
  errors: number;
  closed: boolean;
  open: boolean;
  close(): void;
}

export function sseClient(url: string, token: string, onOpen?: () => void): Client {
  const client: Client = { seqs: new Set(), errors: 0, closed: false, open: false, close: () => undefined };
  const error = (): void => {
    if (!client.closed) client.errors++;
  };
  const req = request(
    `${url}/api/v1/events?after=0`,
    { headers: { authorization: `Bearer ${token}` }, agent: false },
    (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        error();
        res.resume();
        return;
      }
      client.open = true;
      onOpen?.();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block);
          if (id) client.seqs.add(Number(id[1]));
        }
      });
      res.on('error', error);
    },
  );
  req.on('error', error);
  req.end();
  client.close = () => {
    client.closed = true;
    req.destroy();
  };
  return client;
}

const [url, token, n] = process.argv.slice(2);
if (
  import.meta.url === pathToFileURL(process.argv[1] ?? '').href &&
  url !== undefined &&
  token !== undefined &&
  n !== undefined
) {
  let opened = 0;
  const count = Number(n);
  const clients = Array.from({ length: count }, () =>
    sseClient(url, token, () => {
      if (++opened === count) process.stdout.write('ready\n');
    }),
  );
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'report') return;
    for (const c of clients) c.close();
    process.stdout.write(
      `${JSON.stringify({ seqs: clients.map((c) => [...c.seqs]), errors: clients.reduce((a, c) => a + c.errors, 0) })}\n`,
      () => {
        process.exit(0);
      },
    );
  });
}
