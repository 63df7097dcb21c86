// The worker SIGKILLed at random moments while onboardings run: all complete, nothing is done
// twice in Keystone, every person gets both mails; a mail repeated by a crash between sending
// and recording it carries the same Message-ID (so the duplicate count is bounded by the kills).
import { randomInt } from 'node:crypto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { Client } from '@temporalio/client';
import { onboardingWorkflowId, type Registration } from '../../shared/onboarding';
import {
  completeAll,
  countDuplicates,
  people,
  sleep,
  startAll,
  startStack,
  type Stack,
} from './fault-support';
import type { Scenario } from './scenario';

// How long completeAll may take; kills cost seconds each now (heartbeats), not minutes.
const RECOVERY_MS = 15 * 60_000;
/** What test/reliability/README.md promises: a killed worker's work moves again within this (heartbeats). */
const RECOVERY_TARGET_S = 15;
/**
 * The soonest a workflow task on a dead worker times out: 5 s on the worker's own (sticky) queue,
 * 10 s once started; a little less, for clocks.
 */
const TASK_TIMEOUT_MIN_MS = 4_500;
/** Slower than this means the start-to-close bound (2 min), not a missed heartbeat, moved it. */
const RECOVERY_FAIL_S = 60;

/**
 * Seconds from a kill until the work it interrupted started again on another worker ("moving
 * again"), read from the histories:
 * - an activity scheduled before a kill whose completing attempt is a retry (attempt > 1) that
 *   started after it, timed from the last kill before that start (activities the surviving
 *   worker ran through the kill complete on their first attempt);
 * - a workflow task that timed out (the Keystone steps run inside it, as local activities) and
 *   the next workflow task to start after it, timed from the kill that made it time out: the
 *   last kill at least TASK_TIMEOUT_MIN_MS before the timeout (a later one cannot be its cause).
 */
async function recoverySeconds(
  client: Client,
  registrations: Registration[],
  kills: number[],
): Promise<number[]> {
  const seconds: number[] = [];
  const since = (from: number, start: number) => {
    const kill = kills.filter((k) => from < k && k < start).at(-1);
    if (kill !== undefined) seconds.push((start - kill) / 1000);
  };
  for (const r of registrations) {
    const { events } = await client.workflow.getHandle(onboardingWorkflowId(r)).fetchHistory();
    const scheduledAt = new Map<string, number>();
    const retriedAt = new Map<string, number>();
    let timedOutBy: number | undefined;
    for (const e of events ?? []) {
      const at = optionalTsToMs(e.eventTime) ?? 0;
      if (e.activityTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), at);
      const timedOut = e.workflowTaskTimedOutEventAttributes;
      if (timedOut) timedOutBy ??= kills.filter((k) => k <= at - TASK_TIMEOUT_MIN_MS).at(-1);
      if (e.workflowTaskStartedEventAttributes && timedOutBy !== undefined) {
        seconds.push((at - timedOutBy) / 1000);
        timedOutBy = undefined;
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1)
        retriedAt.set(String(started.scheduledEventId), at);
      const done = e.activityTaskCompletedEventAttributes;
      if (!done) continue;
      const id = String(done.scheduledEventId);
      const [from, start] = [scheduledAt.get(id), retriedAt.get(id)];
      if (from !== undefined && start !== undefined) since(from, start);
    }
  }
  return seconds.sort((a, b) => a - b);
}

export const workerKills: Scenario = {
  name: 'worker-kills',
  async run(mode, progress) {
    const n = mode === 'long' ? 100 : 10;
    const kills = mode === 'long' ? 10 : 2;
    const stack: Stack = await startStack();
    try {
      // Two workers, as a deployment runs them: the one not killed takes the dead one's work.
      await stack.startWorker();
      const registrations = people(n, 'kill');
      progress(`starting ${n} onboardings on 2 workers; ${kills} SIGKILLs to come`);
      await startAll(stack, registrations);
      const killedAt: number[] = [];
      for (let k = 0; k < kills; k++) {
        await sleep(randomInt(1_000, mode === 'long' ? 6_000 : 4_000));
        const victim = stack.workers.at(-1)!;
        killedAt.push(Date.now());
        await victim.stop('SIGKILL');
        progress(`kill ${k + 1}: worker ${victim.child.pid} killed; starting its replacement`);
        await stack.startWorker();
      }
      const { completed } = await completeAll(stack, registrations, RECOVERY_MS);
      const duplicates = await countDuplicates(stack.config, registrations);
      const recovery = await recoverySeconds(stack.client, registrations, killedAt);
      const p50 = recovery[Math.floor((recovery.length - 1) / 2)] ?? 0;
      const max = recovery.at(-1) ?? 0;
      const figures = {
        onboardings: n,
        kills,
        completed,
        'activities and workflow tasks interrupted': recovery.length,
        'recovery p50, s': p50,
        'recovery max, s': max,
        'Keystone duplicates': duplicates.keystone,
        'people missing a mail': duplicates.lost,
        'duplicate mails': duplicates.mails,
      };
      const problems = [
        completed < n && `${n - completed} onboardings did not complete`,
        duplicates.keystone > 0 && `${duplicates.keystone} duplicate projects/users/roles`,
        duplicates.lost > 0 && `${duplicates.lost} mails lost`,
        // A mail can repeat only when a kill fell between sending it and recording that.
        duplicates.mails > kills && `${duplicates.mails} duplicate mails for ${kills} kills`,
        max >= RECOVERY_FAIL_S &&
          `interrupted work moved again only after ${max.toFixed(0)} s (target ${RECOVERY_TARGET_S} s): the dead worker's heartbeat or workflow task was noticed late`,
      ].filter(Boolean);
      return {
        runs: 1,
        passed: problems.length === 0 ? 1 : 0,
        figures,
        failures: problems as string[],
      };
    } finally {
      await stack.close();
    }
  },
};
