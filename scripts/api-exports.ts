/**
 * Lists the public API as the TypeScript compiler sees it: every name `src/index.ts` (or another entry) exports,
 * the file that declares it, whether it is a type only, and whether its declaration has a TSDoc comment.
 * `node --import tsx scripts/api-exports.ts [ENTRY] [--json]`; the README/API test uses `apiExports`.
 */
import ts from 'typescript';
import { relative, resolve } from 'node:path';

export interface ApiExport {
  readonly name: string;
  readonly file: string;
  readonly typeOnly: boolean;
  readonly documented: boolean;
}

/** The exports of `entry` (a path to a .ts file), sorted by name. */
export function apiExports(entry: string, root = process.cwd()): ApiExport[] {
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, allowImportingTsExtensions: false });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(resolve(entry));
  if (source === undefined) throw new Error(`${entry}: not found`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${entry}: not a module`);
  return checker.getExportsOfModule(moduleSymbol).map((sym) => {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const decl = target.declarations?.[0];
    const typeOnly = (target.flags & ts.SymbolFlags.Value) === 0;
    const documented = (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0 || (ts.isVariableDeclaration(d) && ts.getJSDocCommentsAndTags(d.parent.parent).length > 0));
    return { name: sym.getName(), file: decl ? relative(root, decl.getSourceFile().fileName) : '?', typeOnly, documented };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const entry = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'src/index.ts';
  const list = apiExports(entry);
  if (process.argv.includes('--json')) console.log(JSON.stringify(list, null, 2));
  else for (const e of list) console.log(`${e.name}\t${e.file}\t${e.typeOnly ? 'type' : 'value'}\t${e.documented ? '' : 'UNDOCUMENTED'}`);
}
