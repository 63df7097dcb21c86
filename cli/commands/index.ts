// Every command, in the order `--help` lists them.
import type { Command } from '../command';
import { approveReset } from './approve-reset';
import { audit } from './audit';
import { cancel } from './cancel';
import { extend } from './extend';
import { list } from './list';
import { pollNow } from './poll-now';
import { quotas } from './quotas';
import { resend } from './resend';
import { retryMail } from './retry-mail';
import { schedulePoller } from './schedule-poller';
import { start } from './start';
import { status } from './status';
import { templates } from './templates';

export const COMMANDS: Command[] = [
  start,
  status,
  list,
  audit,
  schedulePoller,
  pollNow,
  resend,
  extend,
  retryMail,
  cancel,
  templates,
  quotas,
  approveReset,
];
