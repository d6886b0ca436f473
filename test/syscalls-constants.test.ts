/** errno names, address families and action text: against the machine's headers, and by property. */
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADDRESS_FAMILIES, ADDRESS_FAMILY_ALIASES, AF_MAX, ActionSyntaxError, ERRNO, ERRNO_ALIASES, addressFamilyName,
  addressFamilyNumber, encodeAction, errnoName, errnoNumber, formatAction, parseAction, type Action,
} from '../src/index.js';
import { itWhen, type Missing } from './support/require.js';

const missingFile = (path: string): Missing => (existsSync(path) ? undefined : `${path} not found`);

/** `#define NAME value` lines of a header, values numeric or naming another define. */
function defines(path: string, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = new RegExp(`^#define\\s+(${prefix}\\w+)\\s+(\\w+)`).exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function numericDefines(path: string, prefix: string): { numbers: Map<string, number>; aliases: Map<string, string> } {
  const raw = defines(path, prefix);
  const numbers = new Map<string, number>();
  const aliases = new Map<string, string>();
  for (const [name, value] of raw) {
    if (/^\d+$/.test(value)) numbers.set(name, Number(value));
    else aliases.set(name, value);
  }
  return { numbers, aliases };
}

describe('errno', () => {
  const headers = ['/usr/include/asm-generic/errno-base.h', '/usr/include/asm-generic/errno.h'];
  itWhen(missingFile(headers[1]!), 'matches asm-generic/errno{-base,}.h exactly, aliases included', () => {
    const numbers = new Map<string, number>();
    const aliases = new Map<string, string>();
    for (const h of headers) {
      const d = numericDefines(h, 'E');
      for (const [k, v] of d.numbers) numbers.set(k, v);
      for (const [k, v] of d.aliases) aliases.set(k, v);
    }
    expect(Object.fromEntries(numbers)).toEqual(ERRNO);
    // ENOTSUP comes from glibc, not the kernel header.
    expect(Object.fromEntries(aliases)).toEqual({ EWOULDBLOCK: 'EAGAIN', EDEADLOCK: 'EDEADLK' });
    expect(ERRNO_ALIASES).toMatchObject(Object.fromEntries(aliases));
  });

  it('has the landmarks and round-trips (property)', () => {
    expect(errnoNumber('EPERM')).toBe(1);
    expect(errnoNumber('ENOSYS')).toBe(38);
    expect(errnoNumber('EAFNOSUPPORT')).toBe(97);
    expect(errnoNumber('EHWPOISON')).toBe(133);
    expect(errnoNumber('eperm')).toBe(1);
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(errnoNumber('ENOTSUP')).toBe(95);
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoNumber('EBOGUS')).toBeUndefined();
    expect(errnoNumber('toString')).toBeUndefined();
    expect(errnoName(0)).toBeUndefined();
    expect(errnoName(134)).toBeUndefined();
    fc.assert(fc.property(fc.integer({ min: 1, max: 133 }), (n) => {
      const name = errnoName(n);
      if (n === 41 || n === 58) expect(name).toBeUndefined(); // unused numbers
      else expect(errnoNumber(name!)).toBe(n);
    }));
  });
});

describe('address families', () => {
  const header = '/usr/include/x86_64-linux-gnu/bits/socket.h';
  itWhen(missingFile(header), 'match glibc bits/socket.h PF_* (kernel AF_* values), up to AF_MAX', () => {
    const { numbers, aliases } = numericDefines(header, 'PF_');
    const max = numbers.get('PF_MAX');
    numbers.delete('PF_MAX');
    expect(max).toBe(AF_MAX);
    const ours = Object.fromEntries(Object.entries(ADDRESS_FAMILIES).map(([k, v]) => [k.replace(/^AF_/, 'PF_'), v]));
    // glibc spells AF_UNIX's primary name PF_LOCAL.
    const theirs = Object.fromEntries([...numbers].map(([k, v]) => [k === 'PF_LOCAL' ? 'PF_UNIX' : k, v]));
    expect(theirs).toEqual(ours);
    for (const [alias] of aliases) expect(addressFamilyNumber(alias), alias).toBeDefined();
  });

  it('covers 0 … AF_MAX-1 once each, with the landmarks', () => {
    expect(Object.values(ADDRESS_FAMILIES).sort((a, b) => a - b)).toEqual([...Array(AF_MAX).keys()]);
    expect(ADDRESS_FAMILIES.AF_NETLINK).toBe(16);
    expect(ADDRESS_FAMILIES.AF_X25).toBe(9);
    expect(ADDRESS_FAMILIES.AF_VSOCK).toBe(40);
    expect(AF_MAX).toBe(46);
    expect(addressFamilyName(16)).toBe('AF_NETLINK');
    expect(addressFamilyName(46)).toBeUndefined();
    expect(addressFamilyNumber('PF_INET6')).toBe(10);
    expect(addressFamilyNumber('inet')).toBe(2);
    expect(addressFamilyNumber('af_decnet')).toBe(12);
    expect(addressFamilyNumber('AF_LOCAL')).toBe(1);
    expect(addressFamilyNumber('AF_ROUTE')).toBe(16);
    expect(addressFamilyNumber('AF_BOGUS')).toBeUndefined();
    for (const [alias, target] of Object.entries(ADDRESS_FAMILY_ALIASES)) {
      expect(addressFamilyNumber(alias)).toBe(ADDRESS_FAMILIES[target]);
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: AF_MAX - 1 }), (n) => {
      expect(addressFamilyNumber(addressFamilyName(n)!)).toBe(n);
    }));
  });
});

describe('action text', () => {
  const action: fc.Arbitrary<Action> = fc.oneof(
    fc.constantFrom<Action>({ kind: 'ALLOW' }, { kind: 'LOG' }, { kind: 'KILL_PROCESS' }, { kind: 'KILL_THREAD' }, { kind: 'USER_NOTIF' }),
    fc.record({ kind: fc.constantFrom('ERRNO' as const, 'TRAP' as const, 'TRACE' as const), data: fc.integer({ min: 0, max: 0xffff }) }),
  );

  it('parse(format(a)) = a for every action (property)', () => {
    fc.assert(fc.property(action, (a) => {
      const text = formatAction(a);
      expect(parseAction(text)).toEqual(a);
      expect(parseAction(text.toLowerCase())).toEqual(a);
      expect(parseAction(`SCMP_ACT_${text}`)).toEqual(a);
      expect(encodeAction(parseAction(text))).toBe(encodeAction(a));
    }));
  });

  it('reads the spellings users write', () => {
    expect(parseAction('ALLOW')).toEqual({ kind: 'ALLOW' });
    expect(parseAction('ERRNO(EPERM)')).toEqual({ kind: 'ERRNO', data: 1 });
    expect(parseAction('ERRNO(1)')).toEqual({ kind: 'ERRNO', data: 1 });
    expect(parseAction(' errno ( eacces ) ')).toEqual({ kind: 'ERRNO', data: 13 });
    expect(parseAction('ERRNO(0x26)')).toEqual({ kind: 'ERRNO', data: 38 });
    expect(parseAction('TRAP(5)')).toEqual({ kind: 'TRAP', data: 5 });
    expect(parseAction('TRAP')).toEqual({ kind: 'TRAP', data: 0 });
    expect(parseAction('TRACE(7)')).toEqual({ kind: 'TRACE', data: 7 });
    expect(parseAction('LOG')).toEqual({ kind: 'LOG' });
    expect(parseAction('USER_NOTIF')).toEqual({ kind: 'USER_NOTIF' });
    expect(parseAction('KILL_THREAD')).toEqual({ kind: 'KILL_THREAD' });
    expect(parseAction('KILL')).toEqual({ kind: 'KILL_PROCESS' });
    expect(parseAction('KILL_PROCESS')).toEqual({ kind: 'KILL_PROCESS' });
    expect(parseAction('SCMP_ACT_ALLOW')).toEqual({ kind: 'ALLOW' });
    expect(parseAction('SCMP_ACT_ERRNO(EPERM)')).toEqual({ kind: 'ERRNO', data: 1 });
    expect(parseAction('SCMP_ACT_KILL')).toEqual({ kind: 'KILL_THREAD' });
    expect(parseAction('SCMP_ACT_KILL_PROCESS')).toEqual({ kind: 'KILL_PROCESS' });
    expect(parseAction('SCMP_ACT_NOTIFY')).toEqual({ kind: 'USER_NOTIF' });
    expect(parseAction('SCMP_ACT_TRACE(3)')).toEqual({ kind: 'TRACE', data: 3 });
    expect(parseAction('SCMP_ACT_LOG')).toEqual({ kind: 'LOG' });
  });

  it('formats errnos by name when known', () => {
    expect(formatAction({ kind: 'ERRNO', data: 1 })).toBe('ERRNO(EPERM)');
    expect(formatAction({ kind: 'ERRNO', data: 38 })).toBe('ERRNO(ENOSYS)');
    expect(formatAction({ kind: 'ERRNO', data: 0 })).toBe('ERRNO(0)');
    expect(formatAction({ kind: 'ERRNO', data: 4000 })).toBe('ERRNO(4000)');
    expect(formatAction({ kind: 'TRAP', data: 0 })).toBe('TRAP');
    expect(formatAction({ kind: 'TRACE', data: 9 })).toBe('TRACE(9)');
    expect(formatAction({ kind: 'KILL_PROCESS' })).toBe('KILL_PROCESS');
  });

  it('rejects bad text clearly', () => {
    expect(() => parseAction('ERRNO')).toThrow(/ERRNO needs an errno/);
    expect(() => parseAction('ERRNO()')).toThrow(/ERRNO needs an errno/);
    expect(() => parseAction('ERRNO(EBOGUS)')).toThrow(/unknown errno "EBOGUS"/);
    expect(() => parseAction('ERRNO(65536)')).toThrow(/16 data bits/);
    expect(() => parseAction('ERRNO(-1)')).toThrow(ActionSyntaxError);
    expect(() => parseAction('TRAP(x)')).toThrow(/TRAP data must be a number/);
    expect(() => parseAction('ALLOW(1)')).toThrow(/ALLOW takes no argument/);
    expect(() => parseAction('PERMIT')).toThrow(/unknown action "PERMIT"/);
    expect(() => parseAction('')).toThrow(ActionSyntaxError);
    expect(() => parseAction('ERRNO(1')).toThrow(ActionSyntaxError);
  });
});
