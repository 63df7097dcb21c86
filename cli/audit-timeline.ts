// What `cli audit` prints for one workflow: its history in words, one entry per thing the system
// did or was told (started from a sheet row, project and user made or found, role, quotas, each
// mail by template, admin actions with who and why, the password set, the end and its reason).
// Pure over a decoded history (audit-events.ts), whose secrets are redacted before it gets here.
import type { LoadedDataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { formatDuration } from '../config/duration';
import {
  approveResetSignal,
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  decideResetUpdate,
  extendDeadlineSignal,
  extendDeadlineUpdate,
  passwordSetSignal,
  resendLinkSignal,
  resendLinkUpdate,
  retryMailSignal,
  retryMailUpdate,
} from '../shared/onboarding';
import { confirmRequestUpdate } from '../shared/form-request-contract';
import { decodeHistory, scrubText, type AuditEvent, type DecodedHistory } from './audit-events';
import { obj, quotaChanges, stepSaid, str, type AuditContext, type Said } from './audit-steps';

export interface TimelineEntry {
  /** ISO time, UTC. */
  at: string;
  workflowId: string;
  what: string;
  detail: string;
}

const NOUN: Record<string, string> = {
  onboardUser: 'onboarding',
  updateQuota: 'quota change',
  resetPassword: 'reset',
  registrationRequest: 'form request',
};

/** Who and what a workflow is about, from its input. */
function contextOf(workflowType: string, input: unknown, secrets: readonly string[]): AuditContext {
  const i = obj(input);
  const registration = obj(i.registration);
  const request = obj(i.request);
  const values = obj(request.values);
  return {
    workflowType,
    person: str(registration.email) || str(request.email) || str(values.email) || str(i.email),
    project:
      str(registration.project) ||
      str(request.project) ||
      str(values.project) ||
      str(values.newProjectName) ||
      str(values.existingProjectName),
    additionalUsers: Array.isArray(registration.additionalUsers)
      ? registration.additionalUsers.map(str)
      : [],
    existingUser: registration.existingUser === true,
    sheetKey: str(registration.sheetKey) || str(request.sheetKey),
    secrets,
    rolesGranted: 0,
    existingLookups: 0,
    quotas: {},
    quotaSets: 0,
  };
}

function startedSaid(c: AuditContext, input: unknown): Said {
  const i = obj(input);
  const row = c.sheetKey ? `sheet row ${c.sheetKey}` : 'no sheet row';
  switch (c.workflowType) {
    case 'onboardUser': {
      const r = obj(i.registration);
      const parts = [`${c.person}${c.existingUser ? ' (existing account)' : ''} into ${c.project}`];
      if (c.additionalUsers.length > 0) parts.push(`also ${c.additionalUsers.join(', ')}`);
      parts.push(c.sheetKey ? row : 'given by hand (cli start), no sheet row');
      if (str(r.pinRequest)) parts.push(`PIN from form request ${str(r.pinRequest)}`);
      return { what: 'onboarding started', detail: parts.join('; ') };
    }
    case 'updateQuota': {
      const request = obj(i.request);
      const until = str(request.endsAt) ? `, until ${str(request.endsAt)}` : ', permanent';
      const changes = quotaChanges(obj(request.changes), {});
      return {
        what: 'quota change started',
        detail: `${c.project} for ${c.person}: ${changes}${until}; ${row}`,
      };
    }
    case 'resetPassword':
      return { what: 'password reset asked', detail: `${c.person}, approval ${str(i.approval)}` };
    case 'registrationRequest': {
      const kind = str(obj(i.request).kind) === 'quota' ? 'more quota' : 'an account';
      return { what: 'form request made', detail: `${kind} for ${c.person}, project ${c.project}` };
    }
    default:
      return { what: `${c.workflowType} started`, detail: c.person };
  }
}

const ADMIN_ACTIONS = new Map<string, string>([
  [resendLinkSignal.name, 'resend link'],
  [resendLinkUpdate.name, 'resend link'],
  [extendDeadlineSignal.name, 'extend'],
  [extendDeadlineUpdate.name, 'extend'],
  [retryMailSignal.name, 'retry mail'],
  [retryMailUpdate.name, 'retry mail'],
  [cancelOnboardingSignal.name, 'cancel'],
  [cancelOnboardingUpdate.name, 'cancel'],
  [approveResetSignal.name, 'decide reset'],
  [decideResetUpdate.name, 'decide reset'],
]);

/** A signal or Update in words; older clients sent the admin actions as signals. */
function messageSaid(kind: 'signal' | 'update', name: string, input: unknown, c: AuditContext) {
  const i = obj(input);
  if (name === passwordSetSignal.name) {
    const other = c.userId && str(i.userId) && str(i.userId) !== c.userId;
    return {
      what: 'password set',
      detail: `${c.person}${other ? ' (another user: ignored)' : ''}`,
    };
  }
  if (name === confirmRequestUpdate.name)
    return { what: 'request confirmed', detail: `${c.person} opened the mailed link` };
  const action = ADMIN_ACTIONS.get(name);
  if (!action) return { what: `${kind} ${name}`, detail: '' };
  const by = `by ${str(i.by) || '?'}${kind === 'signal' ? ' (signal)' : ''}`;
  if (action === 'cancel') {
    c.cancel = `${by}: ${scrubText(str(i.reason), c.secrets)}`;
    return { what: 'admin: cancel', detail: c.cancel };
  }
  if (action === 'extend') {
    const ms = typeof i.ms === 'number' ? formatDuration(i.ms) : '?';
    return { what: 'admin: extend', detail: `${by}: ${ms} more` };
  }
  if (action === 'decide reset')
    return { what: `admin: ${i.approved === true ? 'approve' : 'reject'} reset`, detail: by };
  return { what: `admin: ${action}`, detail: by };
}

function closedSaid(event: Extract<AuditEvent, { kind: 'closed' }>, c: AuditContext): Said {
  const noun = NOUN[c.workflowType] ?? c.workflowType;
  if (event.status !== 'completed')
    return { what: `${noun} ${event.status}`, detail: event.failure ?? '' };
  const r = obj(event.result);
  switch (c.workflowType) {
    case 'onboardUser': {
      const outcome = str(r.outcome) || 'completed';
      const reminders = `${str(r.remindersSent)} reminder${r.remindersSent === 1 ? '' : 's'}`;
      const detail =
        outcome === 'cancelled'
          ? (c.cancel ?? '')
          : outcome === 'abandoned'
            ? `no password after ${reminders}`
            : `${c.person} in ${c.project}`;
      return { what: `onboarding ${outcome}`, detail };
    }
    case 'updateQuota': {
      const changes = (Array.isArray(r.changes) ? r.changes : []).map(obj);
      const table = changes.map((q) => `${str(q.key)} ${str(q.old)} → ${str(q.new)}`).join(', ');
      const reverted = str(r.revertedAt) ? `; reverted at ${str(r.revertedAt)}` : '';
      return { what: 'quota change completed', detail: `${c.project}: ${table}${reverted}` };
    }
    default:
      // Resets and form requests end with their outcome: "password-set", "recorded", ….
      return { what: `${noun} ended`, detail: str(event.result).replace(/-/g, ' ') };
  }
}

/** One workflow's timeline, in history order. */
export function timelineOf(
  workflowId: string,
  { events, secrets }: DecodedHistory,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let c = contextOf('?', undefined, secrets);
  for (const event of events) {
    let said: Said | undefined;
    if (event.kind === 'started') {
      c = contextOf(event.workflowType, event.input, secrets);
      said = startedSaid(c, event.input);
    } else if (event.kind === 'step') said = stepSaid(event, c);
    else if (event.kind === 'closed') said = closedSaid(event, c);
    else said = messageSaid(event.kind, event.name, event.input, c);
    if (said) entries.push({ at: event.at, workflowId, ...said });
  }
  return entries;
}

/** Decodes one workflow's history with the CLI's data converter and says it. */
export async function auditTimeline(
  workflowId: string,
  history: temporal.api.history.v1.IHistory,
  converter: LoadedDataConverter,
): Promise<TimelineEntry[]> {
  return timelineOf(workflowId, await decodeHistory(history, converter));
}

/**
 * Several workflows' timelines as one, by time. Each keeps its own order (a local activity's time
 * is the worker's clock, the other events' the server's), so this merges rather than sorts.
 */
export function mergeTimelines(timelines: TimelineEntry[][]): TimelineEntry[] {
  const heads = timelines.map(() => 0);
  const merged: TimelineEntry[] = [];
  for (;;) {
    let next = -1;
    timelines.forEach((t, i) => {
      const entry = t[heads[i]!];
      if (entry && (next < 0 || entry.at < timelines[next]![heads[next]!]!.at)) next = i;
    });
    if (next < 0) return merged;
    merged.push(timelines[next]![heads[next]!]!);
    heads[next] = heads[next]! + 1;
  }
}
