// One rule, "kaizen/layers": imports point down the layers, never up, in every folder with
// TypeScript. A module may import its own folder and the layers below it; workflow code (replayed)
// may import only shared/; the programs (api/, cli/, codec/, worker/) may import every layer but
// not each other; tools (bench/, scripts/, test/, root files) may import anything; nothing imports
// a program or a tool. Paths are resolved from the importing file, so `../`, `../../` and
// type-only imports all count.
import { statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** Lowest first. A folder may import its own rank and those below. */
export const LAYERS = [
  ['shared'], // pure contracts: no Node, no outside system
  ['config'], // settings: schema, loading, durations
  ['lib'], // low-level HTTP, Temporal and codec plumbing
  ['clients'], // the outside systems: Keystone, quota APIs, SMTP, setpass, sheets
  ['intake', 'registration', 'mail'], // rules: sheet rows, registrations, mail texts
  ['activities'], // the work, over clients
  ['workflows'], // replayed: imports only shared/ (below)
  ['wiring'], // config → clients and workflow starters: the composition roots' parts
];
/** Programs: each its own process; they import the layers, never each other. */
export const PROGRAMS = ['api', 'cli', 'codec', 'worker'];
/** Tools: may import anything; nothing imports them. */
export const TOOLS = ['bench', 'scripts', 'test', 'eslint'];
const ONLY_SHARED = new Set(['workflows']);

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((f) => [f, rank])));

const isTool = (folder) => folder === undefined || TOOLS.includes(folder);
const unplaced = (folder) =>
  `${folder}/ is in no layer of eslint/layers.mjs: add it to LAYERS, PROGRAMS or TOOLS`;

/** Why a file in folder `from` may not import one in `to` (undefined: a root file), or undefined. */
export function refusal(from, to) {
  if (to === from) return undefined;
  if (ONLY_SHARED.has(from))
    return to === 'shared'
      ? undefined
      : `${from}/ may import only shared/ (and @temporalio/workflow), not ${to ?? 'a root file'}: move the contract to shared/`;
  if (isTool(from)) return undefined;
  if (isTool(to))
    return `${from}/ must not import ${to ? `${to}/` : 'a root file'}: tools and entry files import the code, never the other way`;
  if (PROGRAMS.includes(to))
    return `${from}/ must not import ${to}/, another program (eslint/layers.mjs): move what both need into a layer (wiring/ or below)`;
  if (!rankOf.has(to)) return unplaced(to);
  if (PROGRAMS.includes(from)) return undefined;
  if (!rankOf.has(from)) return undefined; // reported once, on the file itself
  return rankOf.get(to) <= rankOf.get(from)
    ? undefined
    : `${from}/ must not import ${to}/, a layer above it (eslint/layers.mjs): move what both need down, or wire it in wiring/`;
}

export function layersPlugin(root) {
  /** The top folder of a file (or of a folder's index), or undefined for a file at the root. */
  const topFolder = (file) => {
    const [first, ...rest] = relative(root, file).split(/[\\/]/);
    if (rest.length > 0) return first;
    return statSync(resolve(root, first), { throwIfNoEntry: false })?.isDirectory()
      ? first
      : undefined;
  };
  return {
    rules: {
      layers: {
        meta: {
          type: 'problem',
          docs: { description: 'imports point down the layers (eslint/layers.mjs)' },
          schema: [],
        },
        create(context) {
          const from = topFolder(context.filename);
          const check = (node) => {
            const spec = node.source?.value;
            if (typeof spec !== 'string' || !spec.startsWith('.')) return;
            const message = refusal(from, topFolder(resolve(dirname(context.filename), spec)));
            if (message) context.report({ node: node.source, message });
          };
          return {
            Program(node) {
              if (!isTool(from) && !PROGRAMS.includes(from) && !rankOf.has(from))
                context.report({ node, message: unplaced(from) });
            },
            ImportDeclaration: check,
            ExportNamedDeclaration: check,
            ExportAllDeclaration: check,
            ImportExpression: check,
          };
        },
      },
    },
  };
}
