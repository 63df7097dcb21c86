// What each activity of a workflow did, in words: a rule per activity (shared/activity-contracts).
// Local activities' markers carry no input, so who a step was for comes from the workflow's input
// and from the steps before it (the first role granted is the person's, then the additional users'
// in the registration's order). Mails are named by template and recipient, never their contents.
import { scrubText, type StepEvent } from './audit-events';

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
export const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';

/** What the timeline knows of one workflow so far, as its events are read in order. */
export interface AuditContext {
  workflowType: string;
  person: string;
  project: string;
  additionalUsers: string[];
  existingUser: boolean;
  sheetKey: string;
  /** Secret values of this history, to scrub free text with. */
  secrets: readonly string[];
  userId?: string;
  rolesGranted: number;
  existingLookups: number;
  /** The latest quota values read or set, for old → new. */
  quotas: Record<string, number>;
  quotaSets: number;
  /** "by X: reason" of the cancel that ended the onboarding. */
  cancel?: string;
}

export interface Said {
  what: string;
  detail: string;
}

interface StepRule {
  /** The step's name when it failed or is still running. */
  label: string;
  /** What it did when it ended well; undefined: nothing an audit needs (a read). */
  done?(step: StepEvent, c: AuditContext): Said | undefined;
}

const withId = (name: string, id: unknown) => (str(id) ? `${name} (id ${str(id)})` : name);

/** `cores 20 → 24, ram 4096 → 8192`: old values as last read or set, when known. */
export function quotaChanges(values: Obj, known: Record<string, number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} ${key in known ? `${known[key]} → ` : '→ '}${str(value)}`)
    .join(', ');
}

function mailSaid(step: StepEvent): Said {
  const input = obj(step.input);
  const audience = str(input.audience) || (input.adminMail ? 'admins' : '');
  const cc = Array.isArray(input.cc) && input.cc.length > 0 ? ` (${input.cc.length} in copy)` : '';
  const mail = `'${str(input.template) || '?'}' to ${audience || str(input.to) || '?'}${cc}`;
  if (step.outcome === 'done') return { what: 'mail sent', detail: mail };
  if (step.outcome === 'pending') return { what: 'mail pending', detail: `${mail}, not sent yet` };
  return { what: 'mail not sent', detail: `${mail}: ${step.failure ?? ''}` };
}

const RULES: Record<string, StepRule> = {
  refuseForeignAccount: {
    label: 'address check',
    done: (_, c) => ({ what: 'address checked', detail: `${c.person}: no one else's account` }),
  },
  ensureProject: {
    label: 'project',
    done: ({ result }, c) => ({
      what: obj(result).created ? 'project made' : 'project found',
      detail: withId(c.project, obj(result).id),
    }),
  },
  findProject: {
    label: 'project lookup',
    done: ({ result }, c) => ({ what: 'project found', detail: withId(c.project, result) }),
  },
  applyQuotas: {
    label: 'quotas',
    done: (_, c) => ({
      what: 'quotas applied',
      detail: `the defaults of a new project, ${c.project}`,
    }),
  },
  readQuotas: {
    label: 'quota read',
    done: ({ result }, c) => {
      Object.assign(c.quotas, obj(result));
      return undefined;
    },
  },
  setQuotas: {
    label: 'quota change',
    done: ({ input }, c) => {
      const values = obj(obj(input).values);
      const what = c.quotaSets++ === 0 ? 'quotas changed' : 'quotas reverted';
      const detail = `${c.project}: ${quotaChanges(values, c.quotas) || 'values not recorded'}`;
      Object.assign(c.quotas, values);
      return { what, detail };
    },
  },
  ensureUser: { label: 'user', done: (step, c) => userSaid(step, c, '') },
  ensureUserWithLink: {
    label: 'user',
    done: (step, c) => userSaid(step, c, ', with a set-password link'),
  },
  findExistingUser: {
    label: 'user lookup',
    done: ({ result }, c) => {
      const i = c.existingLookups++;
      // The person's own lookup comes first (an existing account), then the additional users'.
      const mine = c.existingUser && i === 0;
      const who = mine ? c.person : c.additionalUsers[c.existingUser ? i - 1 : i];
      if (mine) c.userId = str(result);
      return { what: 'user found', detail: withId(who ?? 'an additional user', result) };
    },
  },
  findUser: {
    label: 'account lookup',
    done: ({ input, result }, c) => ({
      what: result ? 'account found' : 'no such account',
      detail: withId(str(obj(input).name) || c.person, obj(result).id),
    }),
  },
  grantMemberRole: {
    label: 'role grant',
    done: (_, c) => {
      const i = c.rolesGranted++;
      const who = i === 0 ? c.person : (c.additionalUsers[i - 1] ?? 'an additional user');
      return { what: 'role granted', detail: `member of ${c.project}: ${who}` };
    },
  },
  isProjectMember: {
    label: 'membership check',
    done: ({ result }, c) =>
      result ? undefined : { what: 'not a member', detail: `${c.person} of ${c.project}` },
  },
  issueSetpassToken: {
    label: 'set-password link',
    // A new link kills the one before: only the latest mailed link works.
    done: (_, c) => ({ what: 'link issued', detail: `a set-password link for ${c.person}` }),
  },
  revokeSetpassLink: {
    label: 'link revocation',
    done: ({ result }) =>
      obj(result).revoked
        ? { what: 'link revoked', detail: 'it answers 404 now' }
        : { what: 'no link to revoke', detail: 'none was live' },
  },
  markRequest: { label: 'sheet row', done: (step, c) => rowMarked(step, c) },
  markQuotaRequest: { label: 'sheet row', done: (step, c) => rowMarked(step, c) },
  moveToCurrentUsers: {
    label: 'sheet row move',
    done: ({ input }) => ({ what: 'sheet row moved', detail: `${rowKey(input)} to Current Users` }),
  },
  moveToProcessedRequests: {
    label: 'sheet row move',
    done: ({ input }) => ({
      what: 'sheet row moved',
      detail: `${rowKey(input)} to Processed Requests`,
    }),
  },
  recordFormRequest: {
    label: 'sheet row',
    done: ({ result }) => ({
      what: 'sheet row written',
      detail: `${str(obj(result).key)}, Approved empty`,
    }),
  },
  // Reads whose answer the next entries already say.
  userRoleNames: { label: 'role lookup' },
  projectMembers: { label: 'member lookup' },
  keepRequestPin: { label: 'PIN hand-over' },
};

const rowKey = (input: unknown) => str(obj(input).key) || 'the row';

function rowMarked({ input }: StepEvent, c: AuditContext): Said {
  const status = scrubText(str(obj(input).status), c.secrets);
  return { what: 'sheet row marked', detail: `${rowKey(input)}: ${status}` };
}

function userSaid({ result }: StepEvent, c: AuditContext, link: string): Said {
  const r = obj(result);
  c.userId = str(r.id) || c.userId;
  return {
    what: r.created ? 'user made' : 'user found',
    detail: `${withId(c.person, r.id)}${link}`,
  };
}

/** One step in words, or undefined when it says nothing an audit needs. */
export function stepSaid(step: StepEvent, c: AuditContext): Said | undefined {
  if (step.activity === 'sendMail') return mailSaid(step);
  const rule = RULES[step.activity];
  const label = rule?.label ?? step.activity;
  if (step.outcome === 'failed') return { what: `${label} failed`, detail: step.failure ?? '' };
  if (step.outcome === 'pending') return { what: `${label} pending`, detail: 'not done yet' };
  if (!rule) return { what: step.activity, detail: 'done' };
  return rule.done?.(step, c);
}
