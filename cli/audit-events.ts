// One workflow's history as the audit reads it: the events that say what the workflow did or was
// told, each with its payloads decoded by the CLI's data converter and its secret fields already
// redacted, as the codec endpoint redacts them (shared/secret-fields.ts). Nothing past this file
// sees a PIN or a token. Keystone and quota steps may be local activities: their markers are read
// like completed activities, at the time the step finished (not when its workflow task ended).
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { isSecretField, REDACTED, redactSecrets, SECRET_FIELDS } from '../shared/secret-fields';

type History = temporal.api.history.v1.IHistory;
type Failure = temporal.api.failure.v1.IFailure;
const EventType = temporal.api.enums.v1.EventType;

/** An activity (or local activity) that ended, or is still running when the history ends. */
export interface StepEvent {
  kind: 'step';
  at: string;
  activity: string;
  outcome: 'done' | 'failed' | 'pending';
  /** Absent for local activities: their markers record no input. */
  input?: unknown;
  result?: unknown;
  failure?: string;
}

export type AuditEvent =
  | { kind: 'started'; at: string; workflowType: string; input: unknown }
  | StepEvent
  | { kind: 'signal' | 'update'; at: string; name: string; input: unknown }
  | { kind: 'closed'; at: string; status: ClosedStatus; result?: unknown; failure?: string };

export type ClosedStatus =
  'completed' | 'failed' | 'terminated' | 'cancelled' | 'timed out' | 'continued as new';

export interface DecodedHistory {
  events: AuditEvent[];
  /** Every secret value the payloads held: free text (a failure, a reason) is scrubbed of them. */
  secrets: string[];
}

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const isoOf = (t: Timestamp): string =>
  new Date(Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6)).toISOString();

/** Secret values of a decoded payload, at any depth (collected before it is redacted). */
function collectSecrets(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => collectSecrets(v, into));
  else if (value !== null && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) {
      if (isSecretField(key) && typeof inner === 'string' && inner) into.add(inner);
      else collectSecrets(inner, into);
    }
}

const SECRET_ASSIGNMENT = new RegExp(
  `\\b(${SECRET_FIELDS.join('|')})(["']?\\s*[:=]\\s*["']?)[^"'\\s,;}]+`,
  'gi',
);

/** Free text without the secrets a payload held, nor anything written as `password: …`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text.replace(SECRET_ASSIGNMENT, `$1$2${REDACTED}`);
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  return out;
}

/** A failure's own words: "Activity task failed" and the like say less than their cause. */
function failureText(failure: Failure | null | undefined): string {
  let f = failure;
  while (f?.cause && /task failed$/i.test(f.message ?? '')) f = f.cause;
  return f?.message ?? 'no reason recorded';
}

/** Decodes a history's events; `converter` is the CLI client's (the codec key and former ones). */
export async function decodeHistory(
  history: History,
  converter: LoadedDataConverter,
): Promise<DecodedHistory> {
  const secrets = new Set<string>();
  const decode = async (payloads: Payload[] | null | undefined): Promise<unknown[]> => {
    const values = await decodeArrayFromPayloads(converter, payloads);
    collectSecrets(values, secrets);
    return redactSecrets(values) as unknown[];
  };
  const events: AuditEvent[] = [];
  const scheduled = new Map<
    string,
    { activity: string; input: unknown; at: string; index: number }
  >();
  const ended = (id: unknown, at: string, rest: Omit<StepEvent, 'kind' | 'at' | 'activity'>) => {
    const start = scheduled.get(String(id));
    scheduled.delete(String(id));
    events.push({
      kind: 'step',
      at,
      activity: start?.activity ?? '?',
      input: start?.input,
      ...rest,
    });
  };
  for (const e of history.events ?? []) {
    const at = isoOf(e.eventTime);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = e.workflowExecutionStartedEventAttributes!;
        const [input] = await decode(a.input?.payloads);
        events.push({ kind: 'started', at, workflowType: a.workflowType?.name ?? '?', input });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = e.activityTaskScheduledEventAttributes!;
        const [input] = await decode(a.input?.payloads);
        const activity = a.activityType?.name ?? '?';
        scheduled.set(String(e.eventId), { activity, input, at, index: events.length });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes!;
        const [result] = await decode(a.result?.payloads);
        ended(a.scheduledEventId, at, { outcome: 'done', result });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const a = e.activityTaskFailedEventAttributes!;
        ended(a.scheduledEventId, at, { outcome: 'failed', failure: failureText(a.failure) });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = e.activityTaskTimedOutEventAttributes!;
        ended(a.scheduledEventId, at, { outcome: 'failed', failure: failureText(a.failure) });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a = e.activityTaskCanceledEventAttributes!;
        ended(a.scheduledEventId, at, { outcome: 'failed', failure: 'cancelled' });
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const a = e.markerRecordedEventAttributes!;
        if (a.markerName !== 'core_local_activity') break;
        const [data] = (await decode(a.details?.data?.payloads)) as [LocalActivityData?];
        // A failed attempt to be retried after a backoff timer: the step has not ended yet.
        if (a.failure && data?.backoff) break;
        const [result] = await decode(a.details?.result?.payloads);
        events.push({
          kind: 'step',
          at: data?.complete_time ? isoOf(data.complete_time) : at,
          activity: data?.activity_type ?? 'local activity',
          ...(a.failure
            ? { outcome: 'failed', failure: failureText(a.failure) }
            : { outcome: 'done', result }),
        });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = e.workflowExecutionSignaledEventAttributes!;
        const [input] = await decode(a.input?.payloads);
        events.push({ kind: 'signal', at, name: a.signalName ?? '?', input });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        // A refused Update leaves no event: only accepted ones are in the history.
        const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
        const [input] = await decode(request?.args?.payloads);
        events.push({ kind: 'update', at, name: request?.name ?? '?', input });
        break;
      }
      default: {
        const closed = await closedEvent(e, at, decode);
        if (closed) events.push(closed);
      }
    }
  }
  // Not finished when the history was read (e.g. a mail retrying while the server is down), or
  // ever, if the workflow ended first (terminated): said where it was scheduled.
  const closed = events.at(-1)?.kind === 'closed';
  for (const { index, ...s } of [...scheduled.values()].reverse())
    events.splice(index, 0, {
      kind: 'step',
      ...s,
      ...(closed
        ? { outcome: 'failed', failure: 'not finished when the workflow ended' }
        : { outcome: 'pending' }),
    });
  const found = [...secrets];
  for (const event of events)
    if ('failure' in event && event.failure) event.failure = scrubText(event.failure, found);
  return { events, secrets: found };
}

interface LocalActivityData {
  activity_type?: string;
  complete_time?: Timestamp;
  backoff?: unknown;
}

async function closedEvent(
  e: temporal.api.history.v1.IHistoryEvent,
  at: string,
  decode: (payloads: Payload[] | null | undefined) => Promise<unknown[]>,
): Promise<AuditEvent | undefined> {
  const closed = (status: ClosedStatus, more: { result?: unknown; failure?: string } = {}) =>
    ({ kind: 'closed', at, status, ...more }) as const;
  switch (e.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
      const [result] = await decode(e.workflowExecutionCompletedEventAttributes?.result?.payloads);
      return closed('completed', { result });
    }
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return closed('failed', {
        failure: failureText(e.workflowExecutionFailedEventAttributes?.failure),
      });
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      return closed('terminated', {
        failure: e.workflowExecutionTerminatedEventAttributes?.reason || 'no reason given',
      });
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return closed('cancelled');
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return closed('timed out');
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      return closed('continued as new');
    default:
      return undefined;
  }
}
