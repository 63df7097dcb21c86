// The lint rule that keeps imports pointing down (eslint/layers.mjs), run on planted files, and
// the project's own lint config, which must apply it to every folder with TypeScript.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
// @ts-expect-error: a plain .mjs module without types
import { layersPlugin } from '../../eslint/layers.mjs';

const ROOT = resolve(__dirname, '../..');

function layerErrors(file: string, spec: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    `import { x } from '${spec}';\nexport const y = x;\n`,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { kaizen: layersPlugin(ROOT) },
        rules: { 'kaizen/layers': 'error' },
      },
    ],
    { filename: join(ROOT, file) },
  );
  return messages.map((m) => m.message);
}

test('a planted upward import fails in every program and layer', () => {
  const planted: [string, string, RegExp][] = [
    ['api/planted.ts', '../cli/main', /another program/],
    ['cli/planted.ts', '../worker/clients', /another program/],
    ['codec/planted.ts', '../api/app', /another program/],
    ['worker/planted.ts', '../test/support/stack-render', /tools and entry files/],
    ['activities/planted.ts', '../wiring/start-onboarding', /a layer above it/],
    ['clients/planted.ts', '../activities/errors', /a layer above it/],
    ['intake/planted.ts', '../activities/errors', /a layer above it/],
    ['shared/planted.ts', '../config/schema', /a layer above it/],
    ['workflows/planted.ts', '../lib/http', /may import only shared/],
    ['wiring/planted.ts', '../api/app', /another program/],
    ['lib/planted.ts', '../worker', /another program/],
    ['newfolder/planted.ts', '../shared/failures', /in no layer/],
  ];
  for (const [file, spec, reason] of planted) {
    const errors = layerErrors(file, spec);
    assert.equal(errors.length, 1, `${file} importing ${spec}: ${errors.join('; ')}`);
    assert.match(errors[0]!, reason, file);
  }
});

test('imports down the layers, and tools importing anything, pass', () => {
  const allowed: [string, string][] = [
    ['api/planted.ts', '../clients/keystone'],
    ['api/planted.ts', '../workflows'],
    ['cli/planted.ts', '../wiring/start-onboarding'],
    ['activities/planted.ts', '../clients/keystone'],
    ['clients/planted.ts', '../lib/http'],
    ['workflows/planted.ts', '../shared/onboarding'],
    ['wiring/planted.ts', '../workflows'],
    ['test/planted.ts', '../api/app'],
    ['bench/planted.ts', '../worker/activities-over-clients'],
    ['planted.ts', './worker/create-worker'],
  ];
  for (const [file, spec] of allowed) assert.deepEqual(layerErrors(file, spec), [], file);
});

test("the project's lint config applies the rule to every folder with TypeScript", async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const folders = readdirSync(ROOT, { withFileTypes: true }).filter(
    (e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules',
  );
  let checked = 0;
  for (const folder of folders) {
    const hasTs = readdirSync(join(ROOT, folder.name), { recursive: true }).some((f) =>
      String(f).endsWith('.ts'),
    );
    if (!hasTs) continue;
    const config = (await eslint.calculateConfigForFile(join(ROOT, folder.name, 'x.ts'))) as {
      rules?: Record<string, unknown>;
    };
    assert.deepEqual(config.rules?.['kaizen/layers'], [2], folder.name);
    checked += 1;
  }
  assert.ok(checked >= 15, `only ${checked} folders with TypeScript found`);
});
