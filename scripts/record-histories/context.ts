// What the recorder's parts share: the history type, paths, the patient reminder policy, progress
// lines, and the shape of an exit and of the context it is driven with.
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../config/schema';
import type { ReminderPolicy } from '../../shared/onboarding';
import type { ExitName } from '../../test/replay/exits';

export type History = temporal.api.history.v1.IHistory;
export const EventType = temporal.api.enums.v1.EventType;

export const ROOT = resolve(__dirname, '..', '..');
export const FIXTURES = join(ROOT, 'test', 'replay');
export const SERVICES_ENV = join(ROOT, '.state', 'services.env');
/** A wait long enough that nothing happens on its own while an exit is recorded. */
export const PATIENT: ReminderPolicy = {
  afterMs: [86_400_000],
  abandonAfterMs: 172_800_000,
  linkLifetimeMs: 172_800_000,
};
export const LINK = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/;

export const started = Date.now();
export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[record ${seconds}s] ${message}`);
}

export interface Context {
  client: Client;
  config: Config;
  taskQueue: string;
  sheets: RequestSheets;
  say(message: string): void;
}

/** The worker's access and quota sheets (.xlsx), and who the notices go to. */
export interface RequestSheets {
  accessFile: string;
  quotaFile: string;
  helpdesk: string;
  approvers: string;
  /** The access rows: one approved and valid, one approved and invalid, one waiting. */
  emails: { approved: string; invalid: string; waiting: string };
  /** Settles when pollRegistrations is recorded: checkRequests reads the sheet after it. */
  polled: Promise<unknown>;
  pollDone(outcome: unknown): void;
}

export interface Exit {
  name: ExitName;
  /** Recorded only from code that has it: the admin Updates; onboardings in the shape of
   *  reminders before schedules ({ intervalMs, maxReminders }), which later code refuses. */
  needs?: 'updates' | 'legacy-input';
  /** Drives one workflow to this exit; resolves with the history to save. */
  drive(ctx: Context): Promise<History>;
}
