/**
 * Property-testing a seccomp policy with `seccomp-ts/testing`.
 *
 * The policy below lets a network service open only AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK sockets and never
 * lets it trace other processes. The checks prove these claims on the compiled filter itself: claims without
 * arguments hold for every argument value (decided on the filter's paths, not sampled), and the property test
 * compares the filter with the reference evaluator on inputs biased toward the filter's own constants.
 *
 * In an application, import from the package:
 *   import { expectFilter, seccompDataArb } from 'seccomp-ts/testing';
 *   import { policy, arg32, compilePolicy, evaluatePolicy, ... } from 'seccomp-ts';
 * Run this file with `npx tsx examples/testing/socket-policy.ts`; the test suite runs it too.
 */
import fc from 'fast-check';
import { compilePolicy } from '../../src/compiler/compile.js';
import { interpret } from '../../src/emulator/interpreter.js';
import { arg32, policy } from '../../src/policy/builder.js';
import { evaluatePolicy } from '../../src/policy/evaluate.js';
import { ADDRESS_FAMILIES } from '../../src/syscalls/families.js';
import { encodeAction } from '../../src/syscalls/actions.js';
import { expectFilter, sampleWords, seccompDataArb } from '../../src/testing/index.js';

const { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_X25 } = ADDRESS_FAMILIES as Record<string, number>;

export const servicePolicy = policy('x86_64')
  .defaultAction('ERRNO(EPERM)')
  .allow(['read', 'write', 'close', 'exit_group', 'connect', 'sendto', 'recvfrom'])
  .allow('socket', arg32(0).eq(AF_UNIX!))
  .allow('socket', arg32(0).eq(AF_INET!))
  .allow('socket', arg32(0).eq(AF_INET6!))
  .allow('socket', arg32(0).eq(AF_NETLINK!))
  .errno('EAFNOSUPPORT', 'socket', arg32(0).gt(AF_NETLINK!))
  .kill('ptrace')
  .build();

/** Runs every check; throws a `FilterAssertionError` (with input, verdicts and executed path) on the first failure. */
export function main(): void {
  const { program } = compilePolicy(servicePolicy);

  expectFilter(program)
    .toDeny('ptrace') // for every argument
    .toReturn('ptrace', 'KILL_PROCESS')
    .toAllow('read')
    .toAllow('socket', { arg0: AF_INET6 })
    .toDeny('socket', { arg0: AF_X25 })
    .toReturn('socket', 'ERRNO(EAFNOSUPPORT)', { arg0: 0x1f })
    .toAllowOnly(['read', 'write', 'close', 'exit_group', 'connect', 'sendto', 'recvfrom', 'socket']);

  // The filter agrees with the policy's reference evaluator on inputs biased toward its constants.
  fc.assert(fc.property(seccompDataArb({ program, arches: ['x86_64', 'i386', 'x32'] }), (call) => {
    const expected = encodeAction(evaluatePolicy(servicePolicy, { arch: call.arch, nr: call.nr, args: call.args }));
    return interpret(program, sampleWords(call)).raw === expected;
  }), { numRuns: 2000 });

  // The same policy compiled again is the same filter, shown exhaustively.
  expectFilter(program).toEqual(servicePolicy);
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1]?.endsWith('socket-policy.ts');
if (invokedDirectly) {
  main();
  console.log('socket-policy: all checks passed');
}
