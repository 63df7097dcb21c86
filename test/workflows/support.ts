// What the workflow tests share: one workflow bundle for every test file, a time-skipping test
// environment per file, a worker per test on its own task queue, and mocked activities that
// record their calls. No OpenStack, mail or sheets: every activity is a function of the test.
//
// Bundling (webpack, a few seconds) is the expensive part, and node:test runs each file in a
// process of its own: the bundle is kept on disk under the cache directory, with the content hash
// of every file webpack read to build it, and built again as soon as any of them differs.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { activityInfo } from '@temporalio/activity';
import { WorkflowFailedError, type QueryDefinition, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type BundleOptions,
  type LogLevel,
} from '@temporalio/worker';
import type { OnboardingActivities } from '../../shared/activities';
import { timeSkippingEnv } from '../support/time-skipping';
import { keepingWarnings } from './warnings';

export type Activities = OnboardingActivities;
export type ActivityName = keyof Activities;
export type InputOf<K extends ActivityName> = Parameters<Activities[K]>[0];

const ROOT = resolve(__dirname, '../..');
const WORKFLOWS = join(ROOT, 'workflows');

/**
 * The limit of each file's suite (node:test `timeout`, for the whole suite): a file takes seconds,
 * and a workflow test that hangs fails the file instead of holding CI.
 */
export const FILE_TIMEOUT_MS = 120_000;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// --- the bundle -------------------------------------------------------------------------------

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

// --- the environment and workers -------------------------------------------------------------

/**
 * The time-skipping test server (one per test file), with plain JSON payloads: the encryption
 * codec is the worker's concern, tested on its own. The bundle is ready when this returns.
 *
 * The server first, the bundle after: webpack's CPU would compete with the JVM's start-up, which
 * the SDK allows 5 s.
 */
export async function workflowTestEnv(): Promise<TestWorkflowEnvironment> {
  installRuntime();
  const env = await timeSkippingEnv();
  try {
    await workflowBundle();
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

let runtimeInstalled = false;
/**
 * Activities and workflows failing on purpose are what many of these tests are about: the SDK's
 * log shows errors only (KAIZEN_TEST_LOG_LEVEL=WARN or DEBUG to see more). Workflow warnings
 * are kept whatever is shown (warnings.ts).
 */
function installRuntime(): void {
  if (runtimeInstalled) return;
  const level = (process.env.KAIZEN_TEST_LOG_LEVEL || 'ERROR').toUpperCase() as LogLevel;
  Runtime.install({
    logger: keepingWarnings(level),
    // The native side's log too (else printed on its own, e.g. the test server's capabilities).
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
  });
  runtimeInstalled = true;
}

/** A name no other test uses: task queues and workflow ids. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Runs `body` while a worker with these activities polls a task queue of its own; the worker
 * stops when `body` settles.
 */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: Partial<Activities>,
  body: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = unique('wf-test');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    // Workflows on the main thread: a worker starts in ~50 ms instead of ~700 (a thread of its
    // own loading the bundle). What it gives up is the 5 s limit on one workflow activation,
    // which no workflow here comes near; a hang fails by FILE_TIMEOUT_MS.
    debugMode: true,
  });
  return worker.runUntil(() => body(taskQueue));
}

/** Asks `query` until `ready` holds for its answer (real time; workflow time stays put). */
export async function queryUntil<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T>,
  ready: (answer: T) => boolean,
  what = 'the workflow',
): Promise<T> {
  const deadline = Date.now() + 10_000;
  let last: T | undefined;
  for (;;) {
    last = await handle.query(query);
    if (ready(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`${what} did not get there in 10 s; last answer ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How a workflow that had to fail ended: its WorkflowFailedError (the chain hangs from it). */
export async function workflowFailure(
  handle: WorkflowHandle,
  what: string,
): Promise<WorkflowFailedError> {
  const err: unknown = await handle.result().then(
    () => assert.fail(`${what} completed`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  return err;
}

// --- mocked activities -----------------------------------------------------------------------

export interface Call {
  name: ActivityName;
  input: unknown;
  /** Server (workflow) time the attempt was scheduled at: skipped time included. */
  atMs: number;
}

export interface Recorded {
  activities: Partial<Activities>;
  calls: Call[];
  /** The names of the activities called, in order. */
  names(): ActivityName[];
  /** The inputs of one activity's calls, in order. */
  inputs<K extends ActivityName>(name: K): InputOf<K>[];
}

/** Wraps each mock so that every call is recorded before the mock answers (or throws). */
export function recorded(mocks: Partial<Activities>): Recorded {
  const calls: Call[] = [];
  const activities = Object.fromEntries(
    Object.entries(mocks).map(([name, mock]) => [
      name,
      async (input: unknown) => {
        calls.push({
          name: name as ActivityName,
          input,
          atMs: activityInfo().currentAttemptScheduledTimestampMs,
        });
        return (mock as (input: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as Partial<Activities>;
  return {
    activities,
    calls,
    names: () => calls.map((c) => c.name),
    inputs: <K extends ActivityName>(name: K) =>
      calls.filter((c) => c.name === name).map((c) => c.input as InputOf<K>),
  };
}
