/**
 * Policy → seccomp filter.
 *
 * Layout: `A = arch`; one comparison per covered audit arch, else `RET badArchAction`. Every ABI other than the
 * x86 three has its own audit arch and one section; on a big-endian ABI a body loads an argument's high half from
 * 16 + 8i and its low half from 20 + 8i. The x86_64 audit arch
 * carries both x86_64 and x32 calls: `A = nr; if (A >= 0x40000000)` sends a call to the x32 section (or to
 * the bad-arch verdict when x32 is not covered, but for nr 0xffffffff, which gets the default action as libseccomp
 * gives it), the rest to the x86_64 section (or to the bad-arch verdict).
 * Each section's dispatch (pluggable, see `dispatch.ts`) jumps to a body per syscall number; bodies with the
 * same meaning are emitted once; each distinct verdict is one `RET`.
 */
import { ProgramBuilder, BuildError, type Label } from '../bpf/builder.js';
import { ins, type Instruction } from '../bpf/instructions.js';
import { OFFSET_ARCH, OFFSET_NR, argOffset } from '../bpf/seccomp-data.js';
import { validate } from '../bpf/validator.js';
import { encodeAction, type Action } from '../syscalls/actions.js';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, LINUX_ARCHES, SKIPPED_SYSCALL_NR, X32_SYSCALL_BIT, type Endian, type LinuxArchName,
} from '../syscalls/arch.js';
import { resolvePolicy, type PolicyWarning } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import type { Decision } from './conditions.js';
import { linearDispatch, type DispatchCase, type DispatchSection, type DispatchStrategy } from './dispatch/index.js';
import { lowerPolicy, type Body, type LoweredSection } from './lower.js';

/** A whole-program rewrite (an optimizer pass); its output must mean the same as its input. */
export type ProgramPass = (program: readonly Instruction[]) => Instruction[];

/** How `compilePolicy` lays out and rewrites the filter (the library default: linear dispatch, no passes). */
export interface CompileOptions {
  /** How each section finds a syscall's body; {@link linearDispatch} unless set. */
  readonly dispatch?: DispatchStrategy;
  /** Overrides the policy's `enosysGuard`. */
  readonly enosysGuard?: boolean;
  /** Rewrites applied in order to the built program; the result is validated again. */
  readonly passes?: readonly ProgramPass[];
}

/** A compiled filter and the policy's warnings. */
export interface CompileResult {
  readonly program: Instruction[];
  /** Things the policy's author should know (from resolution); each `message` is one line. */
  readonly warnings: PolicyWarning[];
}

/** The policy cannot become a filter (too large, or a strategy or pass produced an invalid program). */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompileError';
  }
}

class Emitter {
  readonly b = new ProgramBuilder();
  private readonly rets = new Map<number, Label>();
  private readonly bodies = new Map<string, Label>();
  private readonly pendingBodies: { label: Label; body: Body; endian: Endian }[] = [];
  /** Byte order of the section being emitted: where the halves of an argument are. */
  endian: Endian = 'little';

  /** The label of a `RET action`, emitted once at the end. */
  ret(action: Action): Label {
    const raw = encodeAction(action);
    let l = this.rets.get(raw);
    if (l === undefined) {
      l = this.b.newLabel(`ret ${raw.toString(16)}`);
      this.rets.set(raw, l);
    }
    return l;
  }

  /** The label of a body (a RET when the body is a constant verdict); emitted once. */
  body(body: Body): Label {
    if (body.verdicts.length === 0) return this.ret(body.fallback);
    // Equal bodies are shared only between sections of one byte order: their loads differ otherwise.
    const key = `${this.endian}|${body.key}`;
    let l = this.bodies.get(key);
    if (l === undefined) {
      l = this.b.newLabel('body');
      this.bodies.set(key, l);
      this.pendingBodies.push({ label: l, body, endian: this.endian });
    }
    return l;
  }

  private decision(d: Decision, ifTrue: Label, ifFalse: Label): void {
    if (typeof d === 'boolean') {
      this.b.jump(d ? ifTrue : ifFalse);
      return;
    }
    const t = this.leaf(d.ifTrue, ifTrue, ifFalse);
    const f = this.leaf(d.ifFalse, ifTrue, ifFalse);
    this.b.emit(ins.loadWord(argOffset(d.test.arg, d.test.half, this.endian)));
    if (d.test.mask !== undefined) this.b.emit(ins.alu('and', d.test.mask));
    this.b.jumpIf(d.test.cond, d.test.value, t.label, f.label);
    for (const sub of [t, f]) {
      if (sub.decision === undefined) continue;
      this.b.bind(sub.label);
      this.decision(sub.decision, ifTrue, ifFalse);
    }
  }

  private leaf(d: Decision, ifTrue: Label, ifFalse: Label): { label: Label; decision?: Decision } {
    if (d === true) return { label: ifTrue };
    if (d === false) return { label: ifFalse };
    return { label: this.b.newLabel(), decision: d };
  }

  private emitBody(body: Body): void {
    for (const v of body.verdicts) {
      const next = this.b.newLabel();
      const action = this.ret(v.action);
      v.guards.forEach((g, i) => {
        const pass = i === v.guards.length - 1 ? action : this.b.newLabel();
        this.decision(g, pass, next);
        if (pass !== action) this.b.bind(pass);
      });
      this.b.bind(next);
    }
    this.b.jump(this.ret(body.fallback));
  }

  finish(): Instruction[] {
    for (const { label, body, endian } of this.pendingBodies) {
      this.endian = endian;
      this.b.bind(label);
      this.emitBody(body);
    }
    for (const [raw, label] of this.rets) {
      this.b.bind(label);
      this.b.emit(ins.ret(raw));
    }
    return this.b.build();
  }
}

function dispatchSection(e: Emitter, section: LoweredSection, strategy: DispatchStrategy, beyond?: DispatchSection<Label>['beyond']): void {
  e.endian = LINUX_ARCHES[section.arch].endian;
  const cases: DispatchCase<Label>[] = section.cases.map(({ nr, body }) => ({
    nr,
    target: e.body(body),
    key: body.key,
    ...(body.verdicts.length === 0 && { constant: encodeAction(body.fallback) }),
  }));
  strategy.emit(e.b, {
    arch: section.arch,
    domain: section.domain,
    cases,
    defaultTarget: e.ret(section.defaultAction),
    defaultConstant: encodeAction(section.defaultAction),
    ...(section.enosys !== undefined && {
      enosys: { above: section.enosys.above, target: e.ret(section.enosys.action), constant: encodeAction(section.enosys.action) },
    }),
    ...(beyond !== undefined && { beyond }),
  });
}

/**
 * Compiles a policy into a seccomp filter. Throws `PolicyError` for an invalid policy and `CompileError`
 * when no valid filter of at most 4096 instructions can express it.
 */
export function compilePolicy(policy: Policy, options: CompileOptions = {}): CompileResult {
  const resolved = resolvePolicy(policy);
  const sections = lowerPolicy(resolved, options.enosysGuard ?? resolved.enosysGuard);
  const strategy = options.dispatch ?? linearDispatch;
  const e = new Emitter();
  const b = e.b;
  const bad = e.ret(resolved.badArchAction);
  const byArch = new Map<LinuxArchName, LoweredSection>(sections.map((s) => [s.arch, s]));
  const others = sections.filter((s) => s.arch !== 'x86_64' && s.arch !== 'x32' && s.arch !== 'i386')
    .map((section) => ({ section, label: b.newLabel(section.arch) }));
  const x64 = byArch.get('x86_64');
  const x32 = byArch.get('x32');
  const i386 = byArch.get('i386');

  b.emit(ins.loadWord(OFFSET_ARCH));
  const x86Label = x64 !== undefined || x32 !== undefined ? b.newLabel('x86_64 audit arch') : undefined;
  const i386Label = i386 !== undefined ? b.newLabel('i386') : undefined;
  if (x86Label !== undefined) {
    const next = b.newLabel();
    b.jumpIf('jeq', AUDIT_ARCH_X86_64, x86Label, next);
    b.bind(next);
  }
  if (i386Label !== undefined) {
    const next = b.newLabel();
    b.jumpIf('jeq', AUDIT_ARCH_I386, i386Label, next);
    b.bind(next);
  }
  for (const { section, label } of others) {
    const next = b.newLabel();
    b.jumpIf('jeq', LINUX_ARCHES[section.arch].auditArch, label, next);
    b.bind(next);
  }
  b.jump(bad);

  if (x86Label !== undefined) {
    b.bind(x86Label);
    b.emit(ins.loadWord(OFFSET_NR));
    const x64Label = x64 !== undefined ? b.newLabel('x86_64') : bad;
    // Without x32, nr 0xffffffff (what a tracer writes to skip a call) gets the default action, as libseccomp
    // gives it: a filter must not kill a process under strace or a debugger where runc's would not.
    const skipped = x32 === undefined && x64 !== undefined ? b.newLabel('nr -1') : undefined;
    const x32Label = x32 !== undefined ? b.newLabel('x32') : skipped ?? bad;
    if (strategy.foldsBeyond === true && x64 !== undefined) {
      // The x32 split (and nr -1) become ranges of x86_64's own search.
      const retId = (a: Action) => `ret:${encodeAction(a) >>> 0}`;
      const beyond = x32 !== undefined
        ? [{ lo: X32_SYSCALL_BIT, hi: 0xffffffff, target: x32Label, id: 'x32', abi: 'x32' as const }]
        : [
          { lo: X32_SYSCALL_BIT, hi: SKIPPED_SYSCALL_NR - 1, target: bad, id: retId(resolved.badArchAction) },
          { lo: SKIPPED_SYSCALL_NR, hi: SKIPPED_SYSCALL_NR, target: e.ret(resolved.defaultAction), id: retId(resolved.defaultAction) },
        ];
      dispatchSection(e, x64, strategy, beyond);
    } else {
      b.jumpIf('jge', X32_SYSCALL_BIT, x32Label, x64Label);
      if (skipped !== undefined) {
        b.bind(skipped);
        b.jumpIf('jeq', SKIPPED_SYSCALL_NR, e.ret(resolved.defaultAction), bad);
      }
      if (x64 !== undefined) {
        b.bind(x64Label);
        dispatchSection(e, x64, strategy);
      }
    }
    if (x32 !== undefined) {
      b.bind(x32Label);
      dispatchSection(e, x32, strategy);
    }
  }
  if (i386 !== undefined && i386Label !== undefined) {
    b.bind(i386Label);
    b.emit(ins.loadWord(OFFSET_NR));
    dispatchSection(e, i386, strategy);
  }
  for (const { section, label } of others) {
    b.bind(label);
    b.emit(ins.loadWord(OFFSET_NR));
    dispatchSection(e, section, strategy);
  }

  let program: Instruction[];
  try {
    program = e.finish();
  } catch (err) {
    if (err instanceof BuildError) throw new CompileError(`cannot compile the policy: ${err.message}`);
    throw err;
  }
  for (const pass of options.passes ?? []) program = pass(program);
  if (options.passes !== undefined && options.passes.length > 0) {
    const result = validate(program);
    if (!result.ok) {
      throw new CompileError(`an optimizer pass produced an invalid filter: ${result.errors[0]?.message ?? 'invalid'}`);
    }
  }
  return { program, warnings: [...resolved.warnings] };
}
