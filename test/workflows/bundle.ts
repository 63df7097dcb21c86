// The workflow bundle the workflow tests' workers run, shared by every test file.
//
// Bundling (webpack, a few seconds) is the expensive part, and node:test runs each file in a
// process of its own: the bundle is kept on disk under the cache directory, with the content hash
// of every file webpack read to build it, and built again as soon as any of them differs.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';

const ROOT = resolve(__dirname, '../..');
const WORKFLOWS = join(ROOT, 'workflows');

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type WebpackPlugin = NonNullable<WebpackConfig['plugins']>[number];

interface Manifest {
  /** The bundle file, named by the hash of its code. */
  bundle: string;
  /** Every file webpack read for it (the workflows, shared/, the SDK) and its sha256. */
  inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function cacheDir(): string {
  const base = process.env.KAIZEN_CACHE_DIR || join(homedir(), '.cache', 'kaizen-onboarding');
  return join(base, 'workflow-test-bundles');
}

/** One manifest per checkout: two working trees do not overwrite each other's bundle. */
function manifestPath(): string {
  return join(cacheDir(), `${sha256(`v1 ${WORKFLOWS}`).slice(0, 16)}.json`);
}

function cachedBundle(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(), 'utf8')) as Manifest;
    const entries = Object.entries(manifest.inputs);
    if (entries.length === 0) return undefined;
    for (const [file, hash] of entries) if (sha256(readFileSync(file)) !== hash) return undefined;
    return readFileSync(join(cacheDir(), manifest.bundle), 'utf8');
  } catch {
    return undefined; // none yet, a file gone, a half-written cache: bundle again
  }
}

function writeAtomically(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

async function buildBundle(): Promise<string> {
  const inputs = new Set<string>();
  const recordInputs: WebpackPlugin = {
    apply(compiler) {
      compiler.hooks.done.tap('record-inputs', (stats) => {
        for (const file of stats.compilation.fileDependencies) inputs.add(file);
      });
    },
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(WORKFLOWS),
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), recordInputs],
    }),
  });
  try {
    const hashes: Record<string, string> = {};
    for (const file of inputs) {
      try {
        hashes[file] = sha256(readFileSync(file));
      } catch {
        // the generated entry point lives only in webpack's memory
      }
    }
    mkdirSync(cacheDir(), { recursive: true });
    const bundle = `bundle-${sha256(code).slice(0, 24)}.js`;
    let previous: string | undefined;
    try {
      previous = (JSON.parse(readFileSync(manifestPath(), 'utf8')) as Manifest).bundle;
    } catch {
      previous = undefined;
    }
    writeAtomically(join(cacheDir(), bundle), code);
    writeAtomically(manifestPath(), JSON.stringify({ bundle, inputs: hashes } satisfies Manifest));
    if (previous && previous !== bundle) rmSync(join(cacheDir(), previous), { force: true });
  } catch (err) {
    console.error(`workflow bundle not cached (${String(err)}); the next file bundles again`);
  }
  return code;
}

let bundle: Promise<{ code: string }> | undefined;

/**
 * The workflows of workflows/index.ts, bundled once: from the cache when nothing it was built
 * from changed. KAIZEN_TEST_BUNDLE_CACHE=0 always bundles afresh.
 */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= (async () => {
    const cached = process.env.KAIZEN_TEST_BUNDLE_CACHE === '0' ? undefined : cachedBundle();
    return { code: cached ?? (await buildBundle()) };
  })();
  return bundle;
}
