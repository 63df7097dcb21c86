// A workflow for the time-skipping smoke test: sleeps two days of workflow time.
import { sleep } from '@temporalio/workflow';

export interface SleepyResult {
  /** Workflow time (ms since the epoch) before and after the sleep. */
  startedAtMs: number;
  wokeAtMs: number;
}

export async function sleepy(): Promise<SleepyResult> {
  const startedAtMs = Date.now();
  await sleep('48 hours');
  return { startedAtMs, wokeAtMs: Date.now() };
}
