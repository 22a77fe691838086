// `npm run codegen` (after a build: it resolves each overload in the built addon's libtorch): typed wrappers for PyTorch's public aten operators, written to lib/generated/.
// Schemas come from libtorch's own registry through both Pythons (the two libtorch versions CI builds
// against: $PYTHON or python3, and $OLD_PYTHON or Debian's /usr/bin/python3); only operators and
// overloads present in both are written, and names torchnode has by hand are left to it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { docBlock, HEADER, ordered, RESERVED, signatures, tableOf } from './emit.mjs';
import { handWritten } from './handwritten.mjs';
import { readSchemas, select } from './select.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.join(root, 'lib', 'generated');
const newer = readSchemas(process.env.PYTHON || 'python3');
const older = readSchemas(process.env.OLD_PYTHON || '/usr/bin/python3');
const { groups, skipped } = select(newer, older);
const hand = handWritten(root);

// TorchScript registers some aten names the dispatcher lacks (aten::as_tensor.list): left out
const { op, resolve } = await import(path.join(root, 'dist', 'ops', 'registry.js'));
for (const [group, entries] of Object.entries(groups)) {
  groups[group] = entries.filter((e) => {
    e.overloads = e.overloads.filter((o) => {
      try {
        resolve(op(o.qualified, o.args.map((a) => a.name)));
        return true;
      } catch {
        return false;
      }
    });
    if (e.overloads.length === 0) skipped.push({ group, name: e.name, reason: 'TorchScript-only operator (not in the dispatcher)' });
    return e.overloads.length > 0;
  });
}

function keep(group, taken) {
  const out = [];
  for (const entry of groups[group]) {
    if (taken.has(entry.camel)) skipped.push({ group, name: entry.name, reason: 'hand-written' });
    else out.push(entry);
  }
  return out;
}

const IMPORTS = (method) => `import type { Device } from '../device.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../generator.js';
import type { MemoryFormat } from '../options.js';
import ${method ? '' : 'type '}{ Tensor } from '../tensor.js';
import type { Scalar } from '../tensor-ops.js';
import { ${method ? 'installMethods' : 'callFunction, table'} } from './dispatch.js';
`;

function methodsFile(entries) {
  const decls = entries.map((e) => signatures(e.overloads, true).map((s) => `${docBlock(s.doc, '    ')}\n    ${e.camel}${s.sig};`).join('\n')).join('\n');
  const tables = entries.map((e) => `  ${e.camel}: ${tableOf(ordered(e.overloads, true))},`).join('\n');
  return `${HEADER}// Tensor methods for PyTorch's public aten operators; the declarations merge into the class.
${IMPORTS(true)}
declare module '../tensor.js' {
  // the class's own type parameter, which merged declarations must repeat
  interface Tensor<D extends DType = DType> {
${decls}
  }
}

installMethods(Tensor.prototype, {
${tables}
});
`;
}

function functionsFile(entries, what) {
  const body = entries.map((e) => {
    const sigs = signatures(e.overloads, false);
    // `var` and other reserved words are exported under their name from an identifier with a `_`
    const id = RESERVED.has(e.camel) ? `${e.camel}_` : e.camel;
    const exported = id === e.camel ? 'export ' : '';
    const decls = sigs.map((s) => `${docBlock(s.doc, '')}\n${exported}function ${id}${s.sig};`).join('\n');
    return `const ${id}Overloads = table(${JSON.stringify(e.camel)}, ${tableOf(ordered(e.overloads, false)).replace(/\n {4}/g, '\n  ').replace(/\n {2}\]$/, '\n]')});
${decls}
${exported}function ${id}(...args: unknown[]): unknown {
  return callFunction(${id}Overloads, args);
}${id === e.camel ? '' : `\nexport { ${id} as ${e.camel} };`}`;
  }).join('\n\n');
  return `${HEADER}// ${what} for PyTorch's public aten operators.
/* eslint-disable @typescript-eslint/no-unused-vars */
${IMPORTS(false)}
${body}
`;
}

const methods = keep('tensor', hand.tensor);
const functions = keep('torch', hand.torch);
const functional = keep('functional', hand.functional);
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'methods.ts'), methodsFile(methods));
writeFileSync(path.join(outDir, 'functions.ts'), functionsFile(functions, 'torch.* functions'));
writeFileSync(path.join(outDir, 'functional.ts'), functionsFile(functional, 'torch.nn.functional entries'));
// what the reference generator and the coverage script read
const slim = (entries) => entries.map((e) => ({ name: e.name, camel: e.camel, overloads: e.overloads.map((o) => ({ qualified: o.qualified,
  args: o.args.map(({ name, type, kind, nullable, optional, kwargOnly }) => ({ name, type, kind, nullable, optional, kwargOnly })),
  returns: o.returns.map((r) => r.kind), inPlace: o.inPlace })) }));
const manifest = { versions: [newer.version, older.version], tensor: slim(methods), torch: slim(functions), functional: slim(functional), skipped };
writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest) + '\n');
console.log(`codegen: PyTorch ${newer.version} and ${older.version}: ${methods.length} Tensor methods, ${functions.length} torch functions, ` +
  `${functional.length} nn.functional entries written (${skipped.filter((s) => s.reason === 'hand-written').length} names hand-written)`);
const reasons = new Map();
for (const s of skipped) reasons.set(s.group, [...(reasons.get(s.group) ?? []), `${s.name} (${s.reason})`]);
for (const [group, list] of reasons) console.log(`codegen: ${group}, not generated: ${list.join(', ')}`);
