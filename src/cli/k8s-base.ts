/**
 * A Kubernetes SeccompProfile's `spec.baseProfileName`, resolved from a local folder: the Security Profiles
 * Operator looks the base up by name in the profile's namespace and unions its rules into the profile; here the
 * base is the SeccompProfile of that `metadata.name` among the `.json`, `.yaml` and `.yml` files beside the input
 * (the current folder for standard input). The base's syscall rules come first, then the profile's own; every
 * other field is the profile's, or the base's where the profile has none. Bases may have bases; a cycle, a
 * missing base or a remote one (`oci://…`) is a one-line error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './command.js';
import { jsonText, seccompProfilesFromYaml } from './yaml.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A resource's spec and its base's name, if it has one. */
function baseName(resource: unknown): string | undefined {
  if (!isObject(resource) || resource.kind !== 'SeccompProfile' || !isObject(resource.spec)) return undefined;
  const base = resource.spec.baseProfileName;
  return typeof base === 'string' && base !== '' ? base : undefined;
}

/** Every SeccompProfile in the folder's JSON and YAML files, by `metadata.name` (unreadable files are skipped). */
function folderProfiles(folder: string): Map<string, { file: string; resource: Json }> {
  const found = new Map<string, { file: string; resource: Json }>();
  let files: string[];
  try {
    files = readdirSync(folder).filter((f) => /\.(json|ya?ml)$/i.test(f)).sort();
  } catch {
    return found;
  }
  for (const f of files) {
    const file = join(folder, f);
    try {
      const text = readFileSync(file, 'utf8');
      // YAML reads JSON too; integers stay exact either way.
      const texts = /\.json$/i.test(f) ? [text] : seccompProfilesFromYaml(text, file).map((r) => r.json);
      for (const t of texts) {
        const resource = parse(t, { intAsBigInt: true }) as unknown;
        if (!isObject(resource) || resource.kind !== 'SeccompProfile' || !isObject(resource.metadata)) continue;
        const name = resource.metadata.name;
        if (typeof name === 'string' && !found.has(name)) found.set(name, { file, resource });
      }
    } catch {
      // A file that is not a readable profile is simply not a base.
    }
  }
  return found;
}

/**
 * The resource with its bases merged in, as JSON text (and the files the bases came from), or undefined when it
 * names no base. `inputPath` is the input's file, undefined for standard input.
 */
export function withBaseProfiles(json: string, inputPath: string | undefined, inputName: string): { json: string; from: string[] } | undefined {
  const resource = parse(json, { intAsBigInt: true }) as unknown;
  if (baseName(resource) === undefined) return undefined;
  const folder = inputPath !== undefined ? dirname(inputPath) : process.cwd();
  const profiles = folderProfiles(folder);
  const chain: Json[] = [resource as Json];
  const from: string[] = [];
  const own = (resource as Json).metadata;
  const seen = new Set<string>(isObject(own) && typeof own.name === 'string' ? [own.name] : []);
  for (let base = baseName(resource); base !== undefined; base = baseName(chain[chain.length - 1])) {
    if (base.startsWith('oci://')) throw new CliError(`${inputName}: spec.baseProfileName: ${base} is a remote profile, which is not fetched; save it beside the profile and name it`);
    if (seen.has(base)) throw new CliError(`${inputName}: spec.baseProfileName: the bases form a cycle through "${base}"`);
    seen.add(base);
    const found = profiles.get(base);
    if (found === undefined) throw new CliError(`${inputName}: spec.baseProfileName: no SeccompProfile named "${base}" in ${folder} (.json, .yaml or .yml files)`);
    chain.push(found.resource);
    from.push(found.file);
  }
  // From the last base down to the profile itself: rules accumulate, later fields win.
  let spec: Json = {};
  for (const r of chain.reverse()) {
    const own = r.spec as Json;
    const rules = [...(Array.isArray(spec.syscalls) ? spec.syscalls : []), ...(Array.isArray(own.syscalls) ? own.syscalls : [])];
    spec = { ...spec, ...own, ...(rules.length > 0 && { syscalls: rules }) };
  }
  delete spec.baseProfileName;
  return { json: jsonText({ ...(resource as Json), spec }), from };
}
