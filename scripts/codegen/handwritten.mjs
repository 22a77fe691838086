// Names torchnode already has by hand, read from the TypeScript sources with the compiler's own
// type checker (declarations outside lib/generated/), so the generator never shadows them.
import path from 'node:path';

import ts from 'typescript';

const declaredOutside = (symbol, generatedDir) =>
  (symbol.declarations ?? []).some((d) => !path.resolve(d.getSourceFile().fileName).startsWith(generatedDir));

export function handWritten(root) {
  const generatedDir = path.join(root, 'lib', 'generated') + path.sep;
  const index = path.join(root, 'lib', 'index.ts');
  const functional = path.join(root, 'lib', 'functional.ts');
  const program = ts.createProgram([index], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const exportsOf = (file) => {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`codegen: cannot read the exports of ${file}`);
    return checker.getExportsOfModule(symbol);
  };
  const torch = exportsOf(index);
  const tensorSymbol = torch.find((s) => s.name === 'Tensor');
  const tensorClass = checker.getDeclaredTypeOfSymbol(tensorSymbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(tensorSymbol) : tensorSymbol);
  const tensor = checker.getPropertiesOfType(tensorClass).filter((s) => declaredOutside(s, generatedDir));
  const resolved = (s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  return {
    tensor: new Set(tensor.map((s) => s.name)),
    torch: new Set(torch.filter((s) => declaredOutside(resolved(s), generatedDir)).map((s) => s.name)),
    functional: new Set(exportsOf(functional).filter((s) => declaredOutside(resolved(s), generatedDir)).map((s) => s.name)),
  };
}
