import { describe, expect } from 'vitest';
import { kernelAccepts, oracleMissing } from './support/oracle.js';
import { itWhen } from './support/require.js';

describe('kernel oracle', () => {
  itWhen(oracleMissing(), 'tells accepted programs from refused ones', () => {
    const ret = { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 };
    const answers = kernelAccepts([
      [ret],
      [{ code: 0x20, jt: 0, jf: 0, k: 2 }, ret], // misaligned load
      [{ code: 0x94, jt: 0, jf: 0, k: 0 }, ret], // MOD
      [],
    ]);
    expect(answers).toEqual([
      { accepted: true },
      { accepted: false, errno: 22 },
      { accepted: false, errno: 22 },
      { accepted: false, errno: 22 },
    ]);
  });
});
