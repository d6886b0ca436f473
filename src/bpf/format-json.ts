/** JSON: an array of raw instructions, `[{"code":32,"jt":0,"jf":0,"k":4}, …]`, one per line. */
import { fromRaw, toRaw, type Instruction, type Program } from './instructions.js';
import { ProgramFormatError } from './format-error.js';

/** Writes a program as a JSON array of `{code, jt, jf, k}` records. */
export function formatJson(program: Program): string {
  const rows = program.map(toRaw).map((r) => `  {"code":${r.code},"jt":${r.jt},"jf":${r.jf},"k":${r.k >>> 0}}`);
  return rows.length === 0 ? '[]\n' : `[\n${rows.join(',\n')}\n]\n`;
}

const LIMITS = { code: 0xffff, jt: 0xff, jf: 0xff, k: 0xffffffff } as const;

/** Reads a program from a JSON array of `{code, jt, jf, k}` records. */
export function parseJson(text: string): Instruction[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ProgramFormatError(`not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) {
    const object = typeof data === 'object' && data !== null;
    throw new ProgramFormatError(`$: expected an array of {code, jt, jf, k}${object
      ? ', got an object (a policy or a Docker/OCI profile is compiled into a program first)' : ''}`, { path: '$' });
  }
  return data.map((item: unknown, i) => {
    const path = `$[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ProgramFormatError(`${path}: expected an object {code, jt, jf, k}`, { path });
    }
    const obj = item as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!(key in LIMITS)) throw new ProgramFormatError(`${path}.${key}: unknown field (expected code, jt, jf, k)`, { path: `${path}.${key}` });
    }
    const field = (name: keyof typeof LIMITS): number => {
      const v = obj[name] ?? 0;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > LIMITS[name]) {
        throw new ProgramFormatError(`${path}.${name}: expected an integer 0..${LIMITS[name]}, got ${JSON.stringify(v)}`, { path: `${path}.${name}` });
      }
      return v;
    };
    if (obj.code === undefined) throw new ProgramFormatError(`${path}.code: missing`, { path: `${path}.code` });
    return fromRaw({ code: field('code'), jt: field('jt'), jf: field('jf'), k: field('k') });
  });
}
