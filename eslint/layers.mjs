// One rule, "kaizen/layers": imports point down the layers, never up. A module may import its
// own layer and those below it; workflow code (replayed) may import only shared/. Paths are
// resolved from the importing file, so `../`, `../../` and type-only imports all count.
import { dirname, relative, resolve } from 'node:path';

/** Lowest first. Folders not named here (entry points, scripts, tests, bench) are free. */
export const LAYERS = [
  ['shared'], // pure contracts: no Node, no outside system
  ['config'], // settings: schema, loading, durations
  ['lib'], // low-level HTTP, Temporal and codec plumbing
  ['intake', 'registration'], // sheet and registration rules and sources
  ['activities'], // the work, over clients
  ['wiring'], // config → clients and workflow starters: the composition roots' parts
];
const ONLY_SHARED = new Set(['workflows']);

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((f) => [f, rank])));

export function layersPlugin(root) {
  const topFolder = (file) => {
    const [first, ...rest] = relative(root, file).split(/[\\/]/);
    return rest.length > 0 ? first : undefined;
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
          if (from === undefined || (!rankOf.has(from) && !ONLY_SHARED.has(from))) return {};
          const check = (node) => {
            const spec = node.source?.value;
            if (typeof spec !== 'string' || !spec.startsWith('.')) return;
            const to = topFolder(resolve(dirname(context.filename), spec));
            if (to === undefined || to === from) return;
            const allowed = ONLY_SHARED.has(from)
              ? to === 'shared'
              : rankOf.has(to) && rankOf.get(to) <= rankOf.get(from);
            if (!allowed)
              context.report({
                node: node.source,
                message: ONLY_SHARED.has(from)
                  ? `${from}/ may import only shared/ (and @temporalio/workflow), not ${to}/: move the contract to shared/`
                  : `${from}/ must not import ${to}/, a layer above it (eslint/layers.mjs): move what both need down, or wire it in wiring/`,
              });
          };
          return {
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
