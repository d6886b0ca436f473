/** `seccomp-ts audit`: the kernel's seccomp records, decoded one per line, optionally explained against a filter. */
import { AuditRecordError, parseSeccompRecord, type SeccompRecord } from '../../audit/record.js';
import { RecordExplainer, type InForce } from '../../audit/explain-record.js';
import { openKernelLog, readKernelLog } from '../../linux/kmsg.js';
import { CliError, parseFlags, readInput, type CliIO, type Command } from '../command.js';
import { loadFilterSource, loadPolicySource, sourceOf, sourceName } from '../inputs.js';

/** The record as one line of text. */
export function recordLine(r: SeccompRecord): string {
  const time = r.time !== undefined ? new Date(r.time * 1000).toISOString() : r.timeText;
  const who = [r.pid !== undefined ? `pid=${r.pid}` : undefined, r.comm !== undefined ? `comm=${JSON.stringify(r.comm)}` : undefined,
    r.exe !== undefined ? `exe=${JSON.stringify(r.exe)}` : undefined].filter((x) => x !== undefined).join(' ');
  const abi = r.abi ?? `arch=${r.arch}`;
  const call = r.syscall ?? `syscall ${r.nr ?? '?'}`;
  return `${time} ${who} ${abi} ${call} ${r.action}`;
}

/** The record as JSON (one object per line). */
export function recordJson(r: SeccompRecord, explanation?: string): string {
  return JSON.stringify({
    time: r.time !== undefined ? new Date(r.time * 1000).toISOString() : r.timeText, serial: r.serial, pid: r.pid, uid: r.uid, comm: r.comm,
    exe: r.exe, abi: r.abi ?? null, arch: r.arch, nr: r.nr ?? null, syscall: r.syscall ?? null, action: r.action,
    code: r.code !== undefined ? `0x${r.code.toString(16).padStart(8, '0')}` : null, signal: r.signal, compat: r.compat,
    ...(explanation !== undefined && { explanation }),
  });
}

async function loadInForce(file: string, io: CliIO): Promise<InForce> {
  const source = sourceOf(file);
  const name = sourceName(source);
  if (source.kind === 'file' && source.path !== '-') {
    const text = new TextDecoder().decode(await readInput(source.path, io));
    if (!/^\uFEFF?\s*\{/.test(text)) {
      const { program } = await loadFilterSource(source, io, { command: 'audit' });
      return { kind: 'filter', program, name };
    }
  }
  const loaded = await loadPolicySource(source, io, { command: 'audit' });
  return { kind: 'policy', policy: loaded.policy, name: loaded.name };
}

interface Tally { records: number; skipped: number; malformed: number }

export const auditCommand: Command = {
  name: 'audit',
  get usage() {
    return [
      'usage: seccomp-ts audit [FILE|-] [--explain FILTER|POLICY|PROFILE] [--follow] [--json]',
      '',
      "Reads the kernel's seccomp records (AUDIT_SECCOMP, type 1326) in every form they are found in:",
      '/var/log/audit/audit.log (type=SECCOMP msg=audit(...)), dmesg and /dev/kmsg (audit: type=1326 ...),',
      "journalctl, and ausearch -i. Each becomes one line: time, pid, comm, exe, ABI, syscall (named through the",
      "record's arch: i386 and x32 numbers are their own), and the action from code= (ERRNO with its errno name).",
      'Other lines are skipped and counted; a malformed seccomp record is reported with its line number (exit 1).',
      'Without FILE, the kernel log is read (root, or CAP_SYSLOG).',
      '',
      'options:',
      '  --explain F   the filter or profile that was in force: for each record, the rule that decided and the',
      '                --tune allow:NAME (or argument condition) that lets the call through',
      "  --follow      keep reading /dev/kmsg for new records (root); Ctrl-C ends",
      '  --json        one JSON object per record',
      '',
      'examples:',
      '  sudo seccomp-ts audit /var/log/audit/audit.log --explain profile.json',
      "  journalctl -k | seccomp-ts audit -",
      '  sudo seccomp-ts audit --follow',
    ].join('\n');
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      explain: { type: 'string' },
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
    }, 'audit');
    if (positionals.length > 1) throw new CliError(`audit: one FILE at a time (got ${positionals.join(' ')})`);
    const file = positionals[0];
    if (values.follow === true && file !== undefined) throw new CliError('audit: --follow reads the kernel log; give no FILE with it');
    if (values.explain === '-' && (file === '-')) throw new CliError('audit: stdin (-) can be read once: give the records or the --explain filter as a file');
    const explainer = values.explain !== undefined ? new RecordExplainer(await loadInForce(values.explain, io)) : undefined;
    const tally: Tally = { records: 0, skipped: 0, malformed: 0 };
    const where = file === undefined ? '/dev/kmsg' : file === '-' ? '<stdin>' : file;
    const handle = (line: string, number: number): void => {
      let record: SeccompRecord | undefined;
      try {
        record = parseSeccompRecord(line);
      } catch (err) {
        if (!(err instanceof AuditRecordError)) throw err;
        tally.malformed++;
        io.stderr(`seccomp-ts: ${where}:${number}: malformed seccomp record: ${err.message}\n`);
        return;
      }
      if (record === undefined) {
        tally.skipped++;
        return;
      }
      tally.records++;
      const explanation = explainer?.explain(record);
      if (values.json === true) io.stdout(`${recordJson(record, explanation)}\n`);
      else io.stdout(`${recordLine(record)}${explanation !== undefined ? `\n  ${explanation}` : ''}\n`);
    };

    if (values.follow === true) {
      await followKernelLog(handle);
    } else if (file === undefined) {
      let lines: string[];
      try {
        lines = readKernelLog();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new CliError(`audit: reading the kernel log (/dev/kmsg) needs root or CAP_SYSLOG here (${code}); name a FILE or '-' (e.g. journalctl -k | seccomp-ts audit -)`);
      }
      lines.forEach((line, i) => handle(line, i + 1));
    } else {
      const lines = new TextDecoder().decode(await readInput(file, io)).split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line, it does not start another
      lines.forEach((line, i) => handle(line, i + 1));
    }
    io.stderr(`seccomp-ts: audit: ${tally.records} seccomp record${tally.records === 1 ? '' : 's'}; ${tally.skipped} other line${tally.skipped === 1 ? '' : 's'} skipped` +
      `${tally.malformed > 0 ? `; ${tally.malformed} malformed` : ''}\n`);
    return tally.malformed > 0 ? 1 : 0;
  },
};

/** Reads /dev/kmsg from its oldest record on, then new records as they come, until SIGINT or SIGTERM. */
async function followKernelLog(handle: (line: string, number: number) => void): Promise<void> {
  let denied = 'EPERM';
  const log = openKernelLog((code) => { denied = code; }, true);
  if (log === undefined) {
    throw new CliError(`audit: --follow reads /dev/kmsg, which needs root or CAP_SYSLOG here (${denied}); use 'journalctl -kf | seccomp-ts audit -'`);
  }
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let number = 0;
  try {
    while (!stopped) {
      for (const line of log.readNew()) handle(line, ++number);
      // Non-blocking reads and a short wait: a blocked read of /dev/kmsg could not be interrupted.
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    log.close();
  }
}
