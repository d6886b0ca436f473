/**
 * The action-cache report repeats the kernel's `seccomp_is_const_allow` walk (kernel/seccomp.c, 5.11+):
 * hand-made edge cases for each of its rules, and a soundness property on random programs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins, type Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { interpret } from '../src/emulator/interpreter.js';
import { cacheReport, cacheReportText, constAllow } from '../src/analysis/cache.js';
import { explain } from '../src/analysis/explain.js';
import { dockerDefaultPolicy } from '../src/policy/oci/docker-default.js';
import { toRaw } from '../src/bpf/instructions.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT } from '../src/syscalls/arch.js';
import { maxSyscallNr } from '../src/syscalls/resolve.js';
import { argsArb, programArb } from '../src/testing/index.js';

const ALLOW = 0x7fff0000;
const EPERM = 0x50001;
const X86 = AUDIT_ARCH_X86_64 as number;

/** `ld arch; jeq X86_64 ? next : ret ERRNO; ld nr; ...body` */
const native = (...body: Program): Program => [ins.loadWord(4), ins.jump('jeq', X86, 1, 0), ins.ret(EPERM), ins.loadWord(0), ...body];

describe('kernel action-cache report', () => {
  it('caches every number of both bitmaps for an allow-all filter; the sizes are the tables', () => {
    const r = cacheReport([ins.ret(ALLOW)]);
    expect(r.native.size).toBe(maxSyscallNr('x86_64') + 1);
    expect(r.compat!.size).toBe(maxSyscallNr('i386') + 1);
    expect(r.native.cached).toHaveLength(r.native.size);
    expect(r.compat!.cachedRanges).toEqual([[0, r.compat!.size - 1]]);
    expect(r.x32!.cached).toEqual([]);
  });

  it('caches only numbers whose path reads nothing but nr and arch', () => {
    // read(0) allowed outright; write(1) allowed only for fd 1 (an argument load on its path); rest denied.
    const p = native(
      ins.jump('jeq', 0, 0, 1), ins.ret(ALLOW),
      ins.jump('jeq', 1, 0, 3), ins.loadWord(16), ins.jump('jeq', 1, 0, 1), ins.ret(ALLOW),
      ins.ret(EPERM),
    );
    const r = cacheReport(p, { nativePassthrough: [] });
    expect(r.native.cached).toEqual([0]);
    const write = r.native.uncached.find((u) => u.nr === 1);
    expect(write).toMatchObject({ name: 'write', miss: { reason: 'loads-data', pc: 7, offset: 16 } });
    expect(r.native.uncached.find((u) => u.nr === 2)?.miss).toMatchObject({ reason: 'returns', value: EPERM });
    // i386 calls fail the arch test: nothing cached there.
    expect(r.compat!.cached).toEqual([]);
    expect(cacheReportText(r)).toContain('not cached because the filter reads arguments or ip on their path: write');
  });

  it('an argument load before the syscall dispatch makes every number uncacheable', () => {
    const p: Program = [ins.loadWord(16), ins.loadWord(0), ins.jump('jeq', 0, 0, 1), ins.ret(ALLOW), ins.ret(ALLOW)];
    const r = cacheReport(p, { nativePassthrough: [] });
    expect(r.native.cached).toEqual([]);
    expect(r.native.uncached.every((u) => u.miss.reason === 'loads-data')).toBe(true);
    // The instruction pointer counts as data too.
    expect(constAllow([ins.loadWord(8), ins.ret(ALLOW)].map(toRaw), X86, 0)).toMatchObject({ cached: false, reason: 'loads-data', offset: 8 });
  });

  it('requires RET of exactly SECCOMP_RET_ALLOW (LOG and ALLOW with data bits are not cached)', () => {
    expect(constAllow([ins.ret(ALLOW)].map(toRaw), X86, 3).cached).toBe(true);
    expect(constAllow([ins.ret(ALLOW | 1)].map(toRaw), X86, 3)).toMatchObject({ cached: false, reason: 'returns' });
    expect(constAllow([ins.ret(0x7ffc0000)].map(toRaw), X86, 3)).toMatchObject({ cached: false, reason: 'returns' });
  });

  it('refuses instructions the walk does not model, even when they would not change the answer', () => {
    for (const odd of [ins.loadConst(5), ins.tax(), ins.alu('or', 0), ins.loadLen(), ins.store(0)]) {
      expect(constAllow([odd, ins.ret(ALLOW)].map(toRaw), X86, 0)).toMatchObject({ cached: false, reason: 'instruction', pc: 0 });
    }
    // A jump on X, and RET A.
    expect(constAllow([ins.loadWord(0), ins.jumpX('jeq', 0, 0), ins.ret(ALLOW)].map(toRaw), X86, 0)).toMatchObject({ cached: false, reason: 'instruction', pc: 1 });
    expect(constAllow([ins.loadConst(ALLOW), ins.retA()].map(toRaw), X86, 0).cached).toBe(false);
  });

  it('follows JA, JSET and AND K on nr and arch', () => {
    // ld nr; and 0xff; jeq 1 → ja over a deny to allow.
    const p: Program = [
      ins.loadWord(0), ins.alu('and', 0xff), ins.jump('jeq', 1, 0, 3), ins.ja(1), ins.ret(EPERM), ins.ret(ALLOW), ins.ret(EPERM),
    ];
    const r = cacheReport(p, { nativePassthrough: [] });
    expect(r.native.cached).toEqual([1, 257].filter((n) => n < r.native.size));
    const archBit: Program = [ins.loadWord(4), ins.jump('jset', 0x80000000, 0, 1), ins.ret(ALLOW), ins.ret(EPERM)];
    const s = cacheReport(archBit);
    expect(s.native.cached).toHaveLength(s.native.size);
    expect(s.compat!.cached).toEqual([]);
  });

  it('never caches x32 numbers: they are past the native bitmap', () => {
    // Allows every x32 call, denies everything else.
    const p = native(ins.jump('jge', X32_SYSCALL_BIT, 0, 1), ins.ret(ALLOW), ins.ret(EPERM));
    const r = cacheReport(p, { nativePassthrough: [] });
    expect(r.native.cached).toEqual([]);
    expect(r.x32!.cached).toEqual([]);
    expect(constAllow(p.map(toRaw), X86, X32_SYSCALL_BIT | 1).cached).toBe(true); // the walk would say yes...
    expect(r.native.size).toBeLessThan(X32_SYSCALL_BIT); // ...but the kernel never asks for such a number.
  });

  it('counts the uprobe/uretprobe exception on the native ABI only', () => {
    const r = cacheReport([ins.ret(EPERM)]);
    expect(r.native.cached).toEqual([335, 336]);
    expect(r.compat!.cached).toEqual([]);
    expect(cacheReport([ins.ret(EPERM)], { nativePassthrough: [] }).native.cached).toEqual([]);
  });

  it('is sound: a cached number gets ALLOW from the emulator for any arguments (random programs)', () => {
    fc.assert(fc.property(programArb({ maxLength: 16 }), fc.array(argsArb(), { minLength: 4, maxLength: 4 }), (p, argVectors) => {
      const r = cacheReport(p, { nativePassthrough: [] });
      for (const [abi, arch] of [[r.native, X86], [r.compat!, AUDIT_ARCH_I386 as number]] as const) {
        for (const nr of abi.cached.slice(0, 40)) {
          for (const args of argVectors) {
            const words = new Uint32Array(16);
            words[0] = nr;
            words[1] = arch;
            args.forEach((a, i) => { words[4 + 2 * i] = Number(a & 0xffffffffn); words[5 + 2 * i] = Number(a >> 32n); });
            expect(interpret(p, words).raw).toBe(ALLOW);
          }
        }
      }
    }), { numRuns: 300 });
  });

  it('agrees with explain: a cached syscall is explained as an unconditional ALLOW', () => {
    fc.assert(fc.property(programArb({ maxLength: 16, opaque: false }), (p) => {
      const r = cacheReport(p, { nativePassthrough: [] });
      const e = explain(p, { abis: ['x86_64', 'i386'] });
      for (const [abi, cached] of [['x86_64', r.native.cached], ['i386', r.compat!.cached]] as const) {
        for (const nr of cached) {
          const g = e.groups.find((x) => x.abi === abi && (x.syscalls.some((s) => s.nr === nr) || x.unnamed.some(([lo, hi]) => nr >= lo && nr <= hi)));
          expect(g?.behaviour.outcomes).toEqual([]);
          expect(g?.behaviour.otherwise?.verdict).toBe(ALLOW);
        }
      }
    }), { numRuns: 200 });
  });

  it('reports what the compiled Docker default profile leaves to the cache', () => {
    const { program } = compilePolicy(dockerDefaultPolicy());
    const r = cacheReport(program);
    // Syscalls with argument rules (socket, clone, personality) must run the filter; plain allows are cached.
    const uncachedNames = new Set(r.native.uncached.map((u) => u.name));
    for (const name of ['socket', 'clone', 'personality']) expect(uncachedNames.has(name)).toBe(true);
    expect(r.native.cached.length).toBeGreaterThan(250);
  });
});
