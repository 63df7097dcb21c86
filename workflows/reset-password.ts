import { condition, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities';
import {
  approveResetSignal,
  passwordSetSignal,
  resetStatusQuery,
  type ResetOutcome,
  type ResetPasswordInput,
  type ResetStatus,
} from '../shared/onboarding';

const { findUser, userRoleNames, issueSetpassToken, sendMail } =
  proxyActivities<OnboardingActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

/** How long an admin has to approve a reset before it lapses. */
const APPROVAL_WINDOW_MS = 7 * 24 * 3_600_000;

/**
 * A forgotten password: a new random password, a new link bound to the PIN from the form, a
 * reminder before the link expires. Unknown accounts end quietly: the form already gave everyone
 * the same answer.
 */
export async function resetPassword(input: ResetPasswordInput): Promise<ResetOutcome> {
  const { workflowId } = workflowInfo();
  const status: ResetStatus = { step: 'looking-up' };
  let decision: { approved: boolean; by: string } | undefined;
  let passwordSet = false;
  setHandler(resetStatusQuery, () => status);
  setHandler(approveResetSignal, (d) => {
    decision = d;
  });
  setHandler(passwordSetSignal, () => {
    passwordSet = true;
  });
  const done = (outcome: ResetOutcome): ResetOutcome => {
    status.step = 'done';
    status.outcome = outcome;
    return outcome;
  };

  const user = await findUser({ name: input.email });
  if (!user) {
    log.info('reset for an unknown account ignored');
    return done('no-such-account');
  }
  const admins = {
    to: '',
    audience: 'admins' as const,
    fullName: user.fullName,
    username: user.name,
    project: '',
  };

  const roles = await userRoleNames({ userId: user.id });
  const denied = roles.filter((r) => input.deniedRoles.includes(r));
  if (denied.length > 0) {
    await sendMail({
      ...admins,
      template: 'reset-refused',
      reason: `the account holds the role(s) ${denied.join(', ')}, which cannot be reset by form`,
      messageKey: `${workflowId}.${workflowInfo().runId}.refused`,
    });
    return done('refused');
  }

  if (input.approval === 'approve') {
    status.step = 'waiting-for-approval';
    await sendMail({
      ...admins,
      template: 'reset-approval',
      reason: `approve with: npm run cli -- approve-reset ${workflowId}`,
      messageKey: `${workflowId}.${workflowInfo().runId}.approval`,
    });
    if (
      !(await condition(() => decision !== undefined, APPROVAL_WINDOW_MS)) ||
      !decision?.approved
    ) {
      return done('rejected-by-admin');
    }
    log.info('reset approved', { by: decision.by });
  }

  status.step = 'issuing-link';
  const { token } = await issueSetpassToken({ userId: user.id, pin: input.pin, workflowId });
  const mail = {
    to: user.email,
    fullName: user.fullName,
    username: user.name,
    project: '',
    setpassToken: token,
  };
  await sendMail({
    ...mail,
    template: 'password-reset',
    messageKey: `${workflowId}.${workflowInfo().runId}.link`,
  });

  status.step = 'waiting-for-password';
  // One reminder when three quarters of the link's life have passed.
  const remindAfter = Math.floor(input.linkLifetimeMs * 0.75);
  if (!(await condition(() => passwordSet, remindAfter))) {
    await sendMail({
      ...mail,
      template: 'reminder',
      messageKey: `${workflowId}.${workflowInfo().runId}.reminder`,
    });
    if (!(await condition(() => passwordSet, input.linkLifetimeMs - remindAfter)))
      return done('link-sent');
  }
  return done('password-set');
}
