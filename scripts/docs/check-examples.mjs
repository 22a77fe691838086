// Lists the public functions and classes (everything lib/index.ts exports, namespaces included)
// whose TSDoc has no @example, and fails if there are any: each one should show its use.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const entry = program.getSourceFile(path.join(root, 'lib', 'index.ts'));
if (!entry) throw new Error('lib/index.ts is not part of tsconfig.json');

const isInternal = (decl) => ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal');
const hasExample = (decl) => ts.getJSDocTags(decl).some((t) => t.tagName.text === 'example');

/** 'function' | 'class' | 'namespace' | null for what a declaration is. */
function kindOf(decl) {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isSourceFile(decl) || ts.isModuleDeclaration(decl)) return 'namespace';
  if (ts.isVariableDeclaration(decl) && decl.initializer && (ts.isArrowFunction(decl.initializer) || ts.isFunctionExpression(decl.initializer))) return 'function';
  return null;
}

const missing = new Map();
let checked = 0;
const seen = new Set();

function visit(moduleSymbol, prefix) {
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decls = (symbol.declarations ?? []).filter((d) => kindOf(d) !== null);
    if (decls.length === 0) continue;
    const name = `${prefix}${exported.name}`;
    const kind = kindOf(decls[0]);
    if (kind === 'namespace') {
      visit(symbol, `${name}.`);
      continue;
    }
    if (seen.has(symbol) || decls.every(isInternal)) continue;
    seen.add(symbol);
    checked++;
    // overloads: an example on any signature counts; a const arrow's TSDoc sits on its statement
    const documented = decls.some((d) => hasExample(d) || (ts.isVariableDeclaration(d) && hasExample(d.parent.parent)));
    if (!documented) {
      const d = decls[0];
      const file = path.relative(root, d.getSourceFile().fileName);
      const line = d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1;
      missing.set(name, `${kind} ${name} (${file}:${line})`);
    }
  }
}

visit(checker.getSymbolAtLocation(entry), 'torch.');
if (missing.size > 0) {
  console.error(`check-examples: ${missing.size} of ${checked} public functions and classes have no @example in their TSDoc:`);
  for (const m of [...missing.values()].sort()) console.error(`  ${m}`);
  process.exit(1);
}
console.log(`check-examples: all ${checked} public functions and classes have an @example`);
