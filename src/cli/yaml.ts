/**
 * Kubernetes SeccompProfile resources in YAML, their usual form: read with the `yaml` package (bundled into the
 * CLI, never into the library), integers kept exact (64-bit argument values survive), one resource or several
 * in a multi-document file; written back as YAML with a header comment naming the source. Each resource is
 * handed on as JSON text, so that it is read exactly as a SeccompProfile in JSON is.
 */
import { isMap, parse, parseAllDocuments, stringify } from 'yaml';
import { CliError } from './command.js';
import { errorMessage } from '../util/error-message.js';

/** One SeccompProfile resource of a YAML file. */
export interface YamlResource {
  /** `metadata.name`, or `#N` (N counted from 1) when it has none. */
  readonly name: string;
  /** The resource as JSON text, integers written exactly. */
  readonly json: string;
  /** The line of the document's start in the file (from 1). */
  readonly line: number;
}

/** JSON text of a value from the YAML reader (bigints written as exact integers). */
export function jsonText(value: unknown): string {
  const marked = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}` : v), 2);
  return marked.replace(/"\\u0000(-?\d+)"/g, '$1');
}

/** The 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The SeccompProfile resources of a YAML file, in file order; other kinds of resource are skipped. A syntax error
 * is one line naming the input, line and column.
 */
export function seccompProfilesFromYaml(text: string, inputName: string): YamlResource[] {
  const body = text.replace(/^\uFEFF/, '');
  const docs = parseAllDocuments(body, { intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) throw new CliError(`${inputName}: not valid YAML`);
  const out: YamlResource[] = [];
  docs.forEach((doc, i) => {
    const error = doc.errors[0];
    if (error !== undefined) {
      const offset = error.pos[0];
      const where = `${inputName}:${lineOf(body, offset)}:${offset - body.lastIndexOf('\n', offset - 1)}`;
      throw new CliError(`${where}: not valid YAML (${error.message.split('\n')[0]})`);
    }
    if (!isMap(doc.contents)) return;
    let value: Record<string, unknown>;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    } catch (err) {
      // An alias bomb (too many aliases) or an alias to nothing.
      throw new CliError(`${inputName}:${lineOf(body, doc.range[0])}: not valid YAML (${errorMessage(err).split("\n")[0]})`);
    }
    if (value.kind !== 'SeccompProfile') return;
    const metadata = value.metadata as Record<string, unknown> | undefined;
    const name = typeof metadata?.name === 'string' ? metadata.name : `#${i + 1}`;
    out.push({ name, json: jsonText(value), line: lineOf(body, doc.range[0]) });
  });
  return out;
}

/** One resource of the file: the only one, or the one `--name` picks. */
export function pickResource(resources: readonly YamlResource[], inputName: string, chosen: string | undefined, how: string): YamlResource {
  if (resources.length === 0) throw new CliError(`${inputName}: no SeccompProfile resource in this YAML file`);
  if (chosen !== undefined) {
    const found = resources.find((r) => r.name === chosen);
    if (found === undefined) throw new CliError(`${inputName}: no SeccompProfile named "${chosen}" (the file holds ${resources.map((r) => r.name).join(', ')})`);
    return found;
  }
  if (resources.length > 1) {
    throw new CliError(`${inputName}: this YAML file holds ${resources.length} SeccompProfile resources (${resources.map((r) => r.name).join(', ')}); ${how}`);
  }
  return resources[0]!;
}

/** A resource given as JSON text as YAML (integers kept exact), with a comment line first. */
export function resourceYaml(json: string, comment: string): string {
  return `# ${comment}\n${stringify(parse(json, { intAsBigInt: true }), { lineWidth: 0 })}`;
}
