/** UDP and TCP addresses as given on the command line: `host:port`, `[v6]:port`. */
import { isIP } from 'node:net';
import { MaelstromError } from '../model/errors.js';

export interface Address {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** Parses `host:port`; `flag` names the option in the error. Host names other than localhost are refused. */
export function parseAddress(text: string, flag: string): Address {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? m[2]!) : '';
  const resolved = host === 'localhost' ? '127.0.0.1' : host;
  const family = isIP(resolved);
  if (!m || port < 1 || port > 65_535 || family === 0)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `${flag} must be an IP address and port such as 127.0.0.1:7000 or [::1]:7000, got "${text}"`,
    );
  return { host: resolved, port, family: family as 4 | 6 };
}

export const formatAddress = (a: Address): string => (a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
