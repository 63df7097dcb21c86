// What the workflow tests share: one workflow bundle for every test file (./bundle.ts), a
// time-skipping test environment per file, a worker per test on its own task queue, and mocked
// activities that record their calls. No OpenStack, mail or sheets: every activity is a function
// of the test.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { activityInfo } from '@temporalio/activity';
import { WorkflowFailedError, type QueryDefinition, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, Worker, type LogLevel } from '@temporalio/worker';
import type { OnboardingActivities } from '../../shared/activity-contracts';
import { timeSkippingEnv } from '../support/time-skipping';
import { workflowBundle } from './bundle';
import { keepingWarnings } from './warnings';

export type Activities = OnboardingActivities;
export type ActivityName = keyof Activities;
export type InputOf<K extends ActivityName> = Parameters<Activities[K]>[0];

/**
 * The limit of each file's suite (node:test `timeout`, for the whole suite): a file takes seconds,
 * and a workflow test that hangs fails the file instead of holding CI.
 */
const FILE_TIMEOUT_MS = 120_000;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// --- the environment and workers -------------------------------------------------------------

/** What a test file's tests get from describeWorkflows. */
export interface WorkflowTests {
  /** The file's test server; up from the first test to the last (not while tests are declared). */
  readonly env: TestWorkflowEnvironment;
  /**
   * Runs `body` while a worker with these activities polls a task queue of its own; the worker
   * stops when `body` settles.
   */
  withWorker<T>(
    activities: Partial<Activities>,
    body: (taskQueue: string) => Promise<T>,
  ): Promise<T>;
}

/**
 * A test file's suite: `describe` limited to FILE_TIMEOUT_MS, with a time-skipping test server of
 * its own, started before the first test (bundle ready) and torn down after the last. Every file
 * sets up the same way, so the set-up lives here once.
 */
export function describeWorkflows(name: string, body: (wf: WorkflowTests) => void): void {
  describe(name, { timeout: FILE_TIMEOUT_MS }, () => {
    let env: TestWorkflowEnvironment | undefined;
    before(async () => {
      env = await workflowTestEnv();
    });
    after(async () => {
      await env?.teardown();
    });
    const started = (): TestWorkflowEnvironment =>
      env ?? assert.fail('the test server is not up: use wf.env inside a test or hook');
    body({
      get env() {
        return started();
      },
      withWorker: (activities, run) => withWorker(started(), activities, run),
    });
  });
}

/**
 * The time-skipping test server (one per test file), with plain JSON payloads: the encryption
 * codec is the worker's concern, tested on its own. The bundle is ready when this returns.
 *
 * The server first, the bundle after: webpack's CPU would compete with the JVM's start-up, which
 * the SDK allows 5 s.
 */
async function workflowTestEnv(): Promise<TestWorkflowEnvironment> {
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

/** WorkflowTests.withWorker on `env`. */
async function withWorker<T>(
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
