/**
 * One link process for the benchmarks, started without the rest of the CLI (whose start-up would dominate a
 * short run): `tsx bench/link-node.ts ROLE JSON`, where JSON holds listen, to and the role's settings as the CLI
 * flags spell them. Prints "ready" once listening, its metrics as JSON lines on SIGUSR2, and stops on SIGTERM.
 */
import { parseAddress } from '../src/link/address.js';
import { parseEmulatorSettings, startEmulate } from '../src/link/emulate.js';
import { parseBandwidth } from '../src/link/emulator.js';
import { startSplit } from '../src/link/split.js';
import { parseSettings } from '../src/link/settings.js';
import { settingsText, startReceive, startSend, type RunningLink } from '../src/link/tunnel.js';

const [role, json] = process.argv.slice(2);
const o = JSON.parse(json ?? '{}') as Record<string, unknown> & { listen: string; to: string };
const listen = parseAddress(o.listen, '--listen');
const to = parseAddress(o.to, '--to');
const { listen: _l, to: _t, ...rest } = o;
let link: RunningLink;
if (role === 'emulate') link = await startEmulate({ listen, to, settings: parseEmulatorSettings(rest) });
else if (role === 'send') link = await startSend({ listen, to, settings: parseSettings(settingsText(rest)) });
else if (role === 'receive') link = await startReceive({ listen, to, settings: parseSettings(settingsText(rest)) });
else if (role === 'tcp') {
  const { accept, connect, bandwidth, ...fec } = rest as Record<string, string>;
  link = await startSplit({
    listen,
    to,
    settings: parseSettings(settingsText(fec)),
    bandwidthBps: parseBandwidth(bandwidth ?? '1gbit', '--bandwidth'),
    ...(accept ? { accept: parseAddress(accept, '--accept') } : {}),
    ...(connect ? { connect: parseAddress(connect, '--connect') } : {}),
  });
} else throw new Error(`unknown role ${role}`);
process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ metrics: link.metrics() })}\n`));
// Nothing of ours is left after close, but under `node --import tsx` the loader's hooks thread keeps the process
// up and process.exit() can hang on it: once the sockets are closed, the process ends itself.
process.once('SIGTERM', () => void link.close().then(() => process.kill(process.pid, 'SIGKILL')));
process.stdout.write('ready\n');
