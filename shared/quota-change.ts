// The contract of the updateQuota workflow and the pure arithmetic of a quota change.
// Dependency-free apart from message definitions: the workflow bundle imports it.
import { defineQuery } from '@temporalio/workflow';
import type { QuotaValues } from './quota-keys';

export interface QuotaChangeRequest {
  /** The requester: gets the mail, with every project member in copy. */
  email: string;
  fullName: string;
  project: string;
  /** New values (ram in MB); keys absent are unchanged. */
  changes: QuotaValues;
  /** ISO time a temporary change reverts at; absent for a permanent one. */
  endsAt?: string;
  /** Key of the quota-sheet row: it moves to "Processed Requests" when applied. */
  sheetKey?: string;
}

export interface UpdateQuotaInput {
  request: QuotaChangeRequest;
  /** How long before endsAt the members are told that the change will revert. */
  revertNoticeMs: number;
}

export interface QuotaChange {
  key: string;
  old: number;
  new: number;
}

export const QUOTA_STEPS = [
  'started',
  'finding-project',
  'reading-quotas',
  'applying-quotas',
  'sending-mail',
  'waiting-to-revert',
  'reverting',
  'completed',
  'failed',
] as const;
export type QuotaStep = (typeof QUOTA_STEPS)[number];

export interface QuotaStatus {
  step: QuotaStep;
  project: string;
  projectId?: string;
  changes: QuotaChange[];
  endsAt?: string;
  revertedAt?: string;
}

export const quotaStatusQuery = defineQuery<QuotaStatus>('quotaStatus');

/** The summary the Web UI shows for a quota change, in words. */
export function quotaSummary(
  request: Pick<QuotaChangeRequest, 'email' | 'project' | 'endsAt'>,
): string {
  const until = request.endsAt ? ` until ${request.endsAt.slice(0, 10)}` : '';
  return `Change the quotas of ${request.project} for ${request.email}${until}`;
}

export function quotaWorkflowId(request: QuotaChangeRequest): string {
  return request.sheetKey
    ? `quota:${request.sheetKey}`
    : `quota:${request.project}|${request.email}`;
}

/** Quotas the plan needs to know before it can compute the new values. */
export function keysToRead(changes: QuotaValues): string[] {
  const keys = new Set(Object.keys(changes));
  if (
    changes.port === undefined &&
    (changes.instances !== undefined || changes.network !== undefined)
  )
    ['instances', 'network', 'port'].forEach((k) => keys.add(k));
  return [...keys];
}

const grows = (before: number, after: number) => before !== -1 && (after === -1 || after > before);

/**
 * The changes to make, old → new, in the request's order. The original tools' port rule: when
 * instances or networks grow and no port value is asked for, the port quota grows by each added
 * network times the instance quota (after the change), plus 5. Unlimited (-1) stays unlimited.
 */
export function planQuotaChange(
  current: Record<string, number>,
  changes: QuotaValues,
): QuotaChange[] {
  const value = (key: string) => {
    const v = current[key];
    if (v === undefined) throw new Error(`current quota ${key} was not read`);
    return v;
  };
  const plan: QuotaChange[] = Object.entries(changes).map(([key, wanted]) => ({
    key,
    old: value(key),
    new: wanted!,
  }));
  if (
    changes.port === undefined &&
    (changes.instances !== undefined || changes.network !== undefined)
  ) {
    const instancesBefore = value('instances');
    const networksBefore = value('network');
    const instancesAfter = changes.instances ?? instancesBefore;
    const networksAfter = changes.network ?? networksBefore;
    const portBefore = value('port');
    if (grows(instancesBefore, instancesAfter) || grows(networksBefore, networksAfter)) {
      const port =
        portBefore === -1 || instancesAfter === -1 || networksAfter === -1
          ? -1
          : portBefore + Math.max(0, networksAfter - networksBefore) * instancesAfter + 5;
      plan.push({ key: 'port', old: portBefore, new: port });
    }
  }
  return plan.filter((c) => c.old !== c.new);
}

/** The values to set for a plan (forward), or to go back to (revert). */
export function planValues(plan: QuotaChange[], direction: 'forward' | 'revert'): QuotaValues {
  return Object.fromEntries(plan.map((c) => [c.key, direction === 'forward' ? c.new : c.old]));
}

/** The old → new table of the mails (ram shown in MB, as the services count it). */
export function formatQuotaTable(plan: QuotaChange[]): string {
  if (plan.length === 0) return '  (no value differs from the current quotas)';
  const label = (key: string) => (key === 'ram' ? 'ram (MB)' : key);
  const show = (v: number) => (v === -1 ? 'unlimited' : String(v));
  const width = Math.max(...plan.map((c) => label(c.key).length));
  const oldWidth = Math.max(...plan.map((c) => show(c.old).length));
  return plan
    .map(
      (c) => `  ${label(c.key).padEnd(width)}  ${show(c.old).padStart(oldWidth)} -> ${show(c.new)}`,
    )
    .join('\n');
}
