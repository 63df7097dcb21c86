// Waiting until N onboardings of a task queue wait for their password, read from the search
// attribute (a count, not N queries).
import type { Client } from '@temporalio/client';
import { searchAttributes } from '../shared/onboarding';
import { throttled, type Progress } from './machine';

export async function waitUntilParked(
  client: Client,
  taskQueue: string,
  n: number,
  /** How often to count (a throughput run counts often: the wait is part of its time). */
  { pollMs = 500, progress }: { pollMs?: number; progress?: Progress } = {},
): Promise<void> {
  const query = `TaskQueue = "${taskQueue}" AND ${searchAttributes.step.name} = "waiting-for-password"`;
  const report = progress ? throttled(progress, 15_000) : () => undefined;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= n) return;
    report(`${count} of ${n} waiting for their password`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
