/**
 * `maelstrom link send|receive|emulate|tcp`: the long-haul link that hides packet loss from replication traffic
 * (docs/link.md). `send` and `receive` are the two ends of one direction, `emulate` a lossy long-haul path for
 * tests and benchmarks, `tcp` the split mode. Each runs until SIGINT or SIGTERM; SIGHUP re-reads --settings.
 */
import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';
import { parseAddress, formatAddress, type Address } from '../link/address.js';
import { readSettingsFile, reloadOnHangup, startAdmin } from '../link/admin.js';
import { describeEmulator, parseEmulatorSettings, startEmulate } from '../link/emulate.js';
import { parseBandwidth } from '../link/emulator.js';
import { startSplit } from '../link/split.js';
import { describeSettings, parseSettings, type FecSettings } from '../link/settings.js';
import { startReceive, startSend, settingsText, type RunningLink } from '../link/tunnel.js';

interface CommonOptions {
  readonly listen: string;
  readonly to: string;
  readonly name: string;
  readonly admin?: string;
  readonly settings?: string;
  readonly quiet?: boolean;
}

interface FecOptions extends CommonOptions {
  readonly rate: string;
  readonly interleave: string;
  readonly flush: string;
  readonly maxPacket: string;
}

interface TcpOptions extends FecOptions {
  readonly accept?: string;
  readonly connect?: string;
  readonly bandwidth: string;
  readonly window?: string;
}

interface EmulateOptions extends CommonOptions {
  readonly delay: string;
  readonly bandwidth?: string;
  readonly loss: string;
  readonly burst?: string;
  readonly seed: string;
  readonly queue: string;
}

const SETTINGS_HELP = 'a YAML file of settings, applied at start and re-read on SIGHUP';

function common(cmd: Command): Command {
  return cmd
    .requiredOption('--listen <udp-addr>', 'where datagrams come in, such as 127.0.0.1:7000')
    .requiredOption('--to <udp-addr>', 'where they go out, such as 127.0.0.1:7100')
    .option('--name <name>', 'the link\u2019s name, a label on its metrics', 'link')
    .option('--admin <addr>', 'serve GET /metrics and GET/PUT /settings on this TCP address')
    .option('--settings <file>', SETTINGS_HELP)
    .option('-q, --quiet', 'print nothing but errors');
}

function fec(cmd: Command): Command {
  return common(cmd)
    .option('--rate <r,c>', 'c repairs for every r data packets', '8,3')
    .option('--interleave <list>', 'one interleave per layer (c of them)', '1,10,100')
    .option('--flush <duration>', 'send a repair still open after this long over what it has (0: never)', '20ms')
    .option('--max-packet <bytes>', 'longer datagrams are carried unprotected', '9216');
}

/** Runs a started link until SIGINT/SIGTERM, with its admin endpoint and settings file. */
async function serve(link: RunningLink, opts: CommonOptions, started: string): Promise<void> {
  const log = opts.quiet
    ? (): void => undefined
    : (m: string): void => void process.stderr.write(`link ${link.role}: ${m}\n`);
  for (const w of link.warnings) process.stderr.write(`link ${link.role}: warning: ${w}\n`);
  const admin = opts.admin ? await startAdmin(parseAddress(opts.admin, '--admin'), link, log) : undefined;
  const stopReload = opts.settings ? reloadOnHangup(opts.settings, link, log) : undefined;
  log(`${started}${admin ? `; metrics on http://${formatAddress(admin.address)}/metrics` : ''}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  stopReload?.();
  await admin?.close();
  await link.close();
  log('stopped');
}

async function fileSettings(opts: CommonOptions, role: string): Promise<Record<string, unknown>> {
  return opts.settings ? readSettingsFile(opts.settings, role) : {};
}

/** The addresses and FEC settings of `send`, `receive` and `tcp`: the flags over the settings file's `role` part. */
async function fecSettings(
  opts: FecOptions,
  role: string,
): Promise<{ listen: Address; to: Address; settings: FecSettings }> {
  const listen = parseAddress(opts.listen, '--listen');
  const to = parseAddress(opts.to, '--to');
  const flags = parseSettings({
    rate: opts.rate,
    interleave: opts.interleave,
    flush: opts.flush,
    maxPacket: opts.maxPacket,
  });
  return { listen, to, settings: parseSettings(settingsText(await fileSettings(opts, role)), flags) };
}

export function registerLink(program: Command): void {
  const link = program
    .command('link')
    .description('The long-haul link: FEC that hides packet loss from TCP, an emulator of lossy paths, a split mode.');

  for (const role of ['send', 'receive'] as const) {
    fec(
      link
        .command(role)
        .description(
          role === 'send'
            ? 'Forward datagrams from --listen to --to at once, with XOR repairs (layered interleaving) alongside.'
            : 'Forward link packets from --listen to --to as the original datagrams, rebuilding lost ones.',
        ),
    ).action(async (opts: FecOptions) => {
      const { listen, to, settings } = await fecSettings(opts, role);
      const start = role === 'send' ? startSend : startReceive;
      const running = await start({ listen, to, settings, name: opts.name });
      await serve(running, opts, `${formatAddress(listen)} → ${formatAddress(to)}, ${describeSettings(settings)}`);
    });
  }

  fec(
    link
      .command('tcp')
      .description(
        'Split mode: end TCP here and carry its bytes over the FEC\u2019d UDP path with a window sized to the path.',
      ),
  )
    .option('--accept <tcp-addr>', 'accept TCP connections here (one side)')
    .option('--connect <tcp-addr>', 'open a TCP connection here for each one the other side accepts')
    .option(
      '--bandwidth <rate>',
      'the path\u2019s rate: the pace of sending, and with the round trip the window',
      '1gbit',
    )
    .option('--window <bytes>', 'a fixed window per connection instead of bandwidth × round trip × 2')
    .action(async (opts: TcpOptions) => {
      const { listen, to, settings } = await fecSettings(opts, 'tcp');
      const windowBytes = opts.window === undefined ? undefined : Number(opts.window);
      if (windowBytes !== undefined && !(Number.isInteger(windowBytes) && windowBytes >= 65_536))
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `--window must be a number of bytes of at least 65536, got "${opts.window}"`,
        );
      const running = await startSplit({
        listen,
        to,
        settings,
        bandwidthBps: parseBandwidth(opts.bandwidth, '--bandwidth'),
        name: opts.name,
        ...(opts.accept !== undefined ? { accept: parseAddress(opts.accept, '--accept') } : {}),
        ...(opts.connect !== undefined ? { connect: parseAddress(opts.connect, '--connect') } : {}),
        ...(windowBytes !== undefined ? { windowBytes } : {}),
      });
      const tcp = opts.accept !== undefined ? `accepting on ${opts.accept}` : `connecting to ${opts.connect ?? ''}`;
      await serve(
        running,
        opts,
        `${tcp}, ${formatAddress(listen)} → ${formatAddress(to)}, ${describeSettings(settings)}`,
      );
    });

  common(link.command('emulate').description('One direction of a lossy long-haul path, in user space.'))
    .option('--delay <duration>', 'one-way delay', '0')
    .option('--bandwidth <rate>', 'bottleneck rate such as 1gbit (none by default)')
    .option('--loss <p>', 'random loss per packet, such as 0.1%', '0')
    .option('--burst <gilbert:P,R>', 'Gilbert–Elliott bursts: P enters a burst, R leaves it')
    .option('--seed <n>', 'the seed of the loss draws', '1')
    .option('--queue <duration>', 'the bottleneck\u2019s drop-tail queue, as the longest wait', '100ms')
    .action(async (opts: EmulateOptions) => {
      const listen = parseAddress(opts.listen, '--listen');
      const to = parseAddress(opts.to, '--to');
      const flags = parseEmulatorSettings({
        delay: opts.delay,
        loss: opts.loss,
        seed: opts.seed,
        queue: opts.queue,
        ...(opts.bandwidth !== undefined ? { bandwidth: opts.bandwidth } : {}),
        ...(opts.burst !== undefined ? { burst: opts.burst } : {}),
      });
      const settings = parseEmulatorSettings(await fileSettings(opts, 'emulate'), flags);
      const running = await startEmulate({ listen, to, settings, name: opts.name });
      await serve(running, opts, `${formatAddress(listen)} → ${formatAddress(to)}, ${describeEmulator(settings)}`);
    });
}
