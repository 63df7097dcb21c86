// Workflow code read, not run: the ids it passes to patched()/deprecatePatch(), and the kinds of
// command each workflow type can issue. Static, so the same reading applies to older versions
// taken from git (fixture-history.ts) and to today's working tree.
import { posix } from 'node:path';
import ts from 'typescript';

/** Repo-relative path → text, of one version of the code. */
export type Sources = ReadonlyMap<string, string>;

const parsed = new WeakMap<Sources, Map<string, ts.SourceFile>>();

function parse(sources: Sources, path: string): ts.SourceFile | undefined {
  const cache = parsed.get(sources) ?? new Map<string, ts.SourceFile>();
  parsed.set(sources, cache);
  const text = sources.get(path);
  if (text === undefined) return undefined;
  let file = cache.get(path);
  if (!file) {
    file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
    cache.set(path, file);
  }
  return file;
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** `./x` from `workflows/a.ts` → `workflows/x.ts`, if it is one of the sources. */
function resolveModule(sources: Sources, from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = posix.join(posix.dirname(from), spec).replace(/\.js$/, '');
  return [`${base}.ts`, `${base}/index.ts`].find((p) => sources.has(p));
}

const specOf = (node: ts.ImportDeclaration | ts.ExportDeclaration) =>
  node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
    ? node.moduleSpecifier.text
    : undefined;

const calleeName = (call: ts.CallExpression): string | undefined =>
  ts.isIdentifier(call.expression)
    ? call.expression.text
    : ts.isPropertyAccessExpression(call.expression)
      ? call.expression.name.text
      : undefined;

function stringValue(node: ts.Expression): string | undefined {
  while (
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isParenthesizedExpression(node)
  )
    node = node.expression;
  return ts.isStringLiteralLike(node) ? node.text : undefined;
}

/** The string a `const` named `name` holds in `path`, through imports and re-exports. */
function constString(sources: Sources, path: string, name: string, depth = 0): string | undefined {
  const file = parse(sources, path);
  if (!file || depth > 10) return undefined;
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement) && statement.declarationList.flags & ts.NodeFlags.Const) {
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer)
          return stringValue(d.initializer);
    }
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      const spec = specOf(statement);
      const target = spec === undefined ? undefined : resolveModule(sources, path, spec);
      if (target === undefined) continue;
      const bindings = ts.isImportDeclaration(statement)
        ? statement.importClause?.namedBindings
        : statement.exportClause;
      if (bindings === undefined && ts.isExportDeclaration(statement)) {
        const found = constString(sources, target, name, depth + 1); // export * from
        if (found !== undefined) return found;
      }
      if (bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings)))
        for (const element of bindings.elements)
          if (element.name.text === name)
            return constString(sources, target, element.propertyName?.text ?? name, depth + 1);
    }
  }
  return undefined;
}

export interface PatchCall {
  /** Undefined: the argument is not a string literal or a const holding one. */
  id: string | undefined;
  /** `workflows/x.ts:12`. */
  where: string;
}

const PATCH_CALLS = new Set(['patched', 'deprecatePatch']);

function patchCallsIn(sources: Sources, path: string): PatchCall[] {
  const file = parse(sources, path);
  const calls: PatchCall[] = [];
  if (!file) return calls;
  walk(file, (node) => {
    if (!ts.isCallExpression(node) || !PATCH_CALLS.has(calleeName(node) ?? '')) return;
    const arg = node.arguments[0];
    const id =
      arg === undefined
        ? undefined
        : (stringValue(arg) ??
          (ts.isIdentifier(arg) ? constString(sources, path, arg.text) : undefined));
    const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    calls.push({ id, where: `${path}:${line}` });
  });
  return calls;
}

/** Every patched()/deprecatePatch() call of workflows/. */
export function patchCalls(sources: Sources): PatchCall[] {
  return [...sources.keys()]
    .filter((p) => p.startsWith('workflows/'))
    .sort()
    .flatMap((p) => patchCallsIn(sources, p));
}

/** Workflow type → the file defining it, by the exports of workflows/index.ts. */
export function workflowFiles(sources: Sources): Map<string, string> {
  const index = 'workflows/index.ts';
  const types = new Map<string, string>();
  for (const statement of parse(sources, index)?.statements ?? []) {
    if (ts.isFunctionDeclaration(statement) && statement.name)
      types.set(statement.name.text, index);
    if (!ts.isExportDeclaration(statement)) continue;
    const spec = specOf(statement);
    const target = spec === undefined ? undefined : resolveModule(sources, index, spec);
    if (target === undefined) continue;
    if (statement.exportClause && ts.isNamedExports(statement.exportClause))
      for (const element of statement.exportClause.elements) types.set(element.name.text, target);
    else
      for (const s of parse(sources, target)?.statements ?? [])
        if (ts.isFunctionDeclaration(s) && s.name) types.set(s.name.text, target);
  }
  return types;
}

/** The workflow files `start` runs: itself and what it imports from workflows/, not types. */
function closure(sources: Sources, start: string): string[] {
  const files = new Set([start]);
  for (const path of files)
    for (const statement of parse(sources, path)?.statements ?? []) {
      if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
      const typeOnly = ts.isImportDeclaration(statement)
        ? statement.importClause?.isTypeOnly
        : statement.isTypeOnly;
      const spec = specOf(statement);
      const target = spec === undefined ? undefined : resolveModule(sources, path, spec);
      if (!typeOnly && target?.startsWith('workflows/')) files.add(target);
    }
  return [...files];
}

const PROXIES = new Set(['proxyActivities', 'proxyLocalActivities']);

/**
 * Activity names: the members of interface OnboardingActivities (shared/), and the names
 * workflows take from an activity proxy (older versions had no such interface in shared/).
 */
function activityNames(sources: Sources): Set<string> {
  const names = new Set<string>();
  for (const path of sources.keys()) {
    const file = parse(sources, path);
    if (!file) continue;
    const proxies = new Set<string>();
    walk(file, (node) => {
      if (ts.isInterfaceDeclaration(node) && node.name.text === 'OnboardingActivities')
        for (const m of node.members) if (m.name && ts.isIdentifier(m.name)) names.add(m.name.text);
      if (!ts.isVariableDeclaration(node) || !node.initializer) return;
      const init = node.initializer;
      if (!ts.isCallExpression(init) || !PROXIES.has(calleeName(init) ?? '')) return;
      if (ts.isIdentifier(node.name)) proxies.add(node.name.text);
      else if (ts.isObjectBindingPattern(node.name))
        for (const e of node.name.elements) {
          const key = e.propertyName ?? e.name;
          if (ts.isIdentifier(key)) names.add(key.text);
        }
    });
    walk(file, (node) => {
      if (
        ts.isPropertyAccessExpression(node) &&
        ts.isIdentifier(node.expression) &&
        proxies.has(node.expression.text)
      )
        names.add(node.name.text);
    });
  }
  return names;
}

/** Calls that issue a command (or a marker) of their own kind, whatever their arguments. */
const COMMAND_CALLS: Record<string, string> = {
  proxyActivities: 'activities',
  proxyLocalActivities: 'local activities',
  sleep: 'timer',
  withTimeout: 'timer',
  upsertSearchAttributes: 'search-attribute upsert',
  upsertTypedSearchAttributes: 'search-attribute upsert',
  upsertMemo: 'memo upsert',
  startChild: 'child workflow',
  executeChild: 'child workflow',
  continueAsNew: 'continue-as-new',
  makeContinueAsNewFunc: 'continue-as-new',
  getExternalWorkflowHandle: 'external workflow signal or cancel',
};

/**
 * The kinds of command `workflowType` can issue: each activity its code names, timers, patch
 * markers by id, upserts, children, continue-as-new. A set, not a sequence: a reordering is
 * not seen here (the replay of the fixtures sees it where they pass); a new activity, timer or
 * patch is. Undefined when this version has no such workflow in workflows/index.ts.
 */
export function commandKinds(sources: Sources, workflowType: string): Set<string> | undefined {
  const start = workflowFiles(sources).get(workflowType);
  if (start === undefined) return undefined;
  const activities = activityNames(sources);
  const kinds = new Set<string>();
  for (const path of closure(sources, start)) {
    const file = parse(sources, path)!;
    walk(file, (node) => {
      if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && activities.has(node.text))
        kinds.add(`activity ${node.text}`);
      if (!ts.isCallExpression(node)) return;
      const name = calleeName(node) ?? '';
      const kind = COMMAND_CALLS[name];
      if (kind !== undefined) kinds.add(kind);
      if (name === 'condition' && node.arguments.length > 1) kinds.add('timer');
    });
    for (const call of patchCallsIn(sources, path)) kinds.add(`patch ${call.id ?? '?'}`);
  }
  return kinds;
}
