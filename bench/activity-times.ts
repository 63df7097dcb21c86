// Where an onboarding's time goes, read from the workflow histories Temporal keeps: for each
// activity type, how long it waited for a worker slot (scheduled → started) and how long it
// ran (started → completed), and how long workflow tasks waited. No instrumentation needed.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { median } from './table';
import { pool } from '../test/support/pool';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Milliseconds, per activity type (and 'workflow task'), of waiting and of running. */
export interface ActivityTimes {
  waited: Map<string, number[]>;
  ran: Map<string, number[]>;
}

const ms = (e: HistoryEvent | undefined): number => {
  const t = e?.eventTime;
  if (!t) return Number.NaN;
  return Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6);
};

function push(map: Map<string, number[]>, key: string, value: number): void {
  if (!Number.isFinite(value)) return;
  map.set(key, [...(map.get(key) ?? []), value]);
}

/** Adds the waits and run times of one history to `times`. */
export function addHistory(times: ActivityTimes, events: HistoryEvent[]): void {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const scheduled = byId.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId));
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      push(times.waited, type, ms(e) - ms(scheduled));
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const a = e.activityTaskCompletedEventAttributes;
      const scheduled = byId.get(Number(a?.scheduledEventId));
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      push(times.ran, type, ms(e) - ms(byId.get(Number(a?.startedEventId))));
    } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
      const scheduled = byId.get(Number(e.workflowTaskStartedEventAttributes?.scheduledEventId));
      push(times.waited, 'workflow task', ms(e) - ms(scheduled));
    }
  }
}

export async function activityTimes(client: Client, workflowIds: string[]): Promise<ActivityTimes> {
  const times: ActivityTimes = { waited: new Map(), ran: new Map() };
  await pool(workflowIds, 8, async (id) => {
    const history = await client.workflow.getHandle(id).fetchHistory();
    addHistory(times, history.events ?? []);
  });
  return times;
}

/** One line: the median wait and run of each activity type, slowest run first. */
export function describeTimes(label: string, times: ActivityTimes): string {
  const types = [...new Set([...times.waited.keys(), ...times.ran.keys()])];
  const ranOf = (t: string) => median(times.ran.get(t) ?? []) || 0;
  const parts = types
    .sort((a, b) => ranOf(b) - ranOf(a))
    .map((t) => {
      const waited = times.waited.get(t);
      const ran = times.ran.get(t);
      const w = waited ? `waited ${median(waited).toFixed(0)}` : '';
      const r = ran ? `ran ${median(ran).toFixed(0)}` : '';
      return `${t} ${[w, r].filter(Boolean).join(', ')}`;
    });
  return `${label}, median ms per call: ${parts.join('; ')}`;
}
