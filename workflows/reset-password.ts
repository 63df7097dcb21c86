import {
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { SERVICE_CALL } from '../shared/activity-policies';
import type { OnboardingActivities } from '../shared/activity-contracts';
import {
  approveResetSignal,
  decideResetUpdate,
  passwordSetSignal,
  UPDATE_ANSWER_WITHIN_MS,
  resetStatusQuery,
  type ResetOutcome,
  type ResetPasswordInput,
  type ResetStatus,
} from '../shared/onboarding';
import { signalHandler } from './admin-signals';

const { findUser, userRoleNames, issueSetpassToken, sendMail } =
  proxyActivities<OnboardingActivities>(SERVICE_CALL);

type Decision = { approved: boolean; by: string };

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
  let decision: Decision | undefined;
  let passwordSet = false;
  const setStep = (step: ResetStatus['step']) => {
    status.step = step;
    setCurrentDetails(resetDetails(status));
  };
  setStep('looking-up');
  setHandler(resetStatusQuery, () => status);
  // The one implementation of the decision: the Update's validator and what it sets.
  const validate = (_decision: Decision) => {
    if (decision)
      throw new Error(`already ${decision.approved ? 'approved' : 'rejected'} by ${decision.by}`);
    if (status.step !== 'waiting-for-approval')
      throw new Error(
        status.step === 'done'
          ? `the reset is over: ${status.outcome ?? 'done'}`
          : `the reset is not waiting for approval: it is at step ${status.step}`,
      );
  };
  const decide = (d: Decision) => {
    decision = d;
    status.decidedBy = d.by;
  };
  // The approveReset signal of older versions (admin-signals.ts): a decision is read only while
  // the reset looks up the account or waits for approval, and only if it asks for approval.
  setHandler(
    approveResetSignal,
    signalHandler(approveResetSignal.name, {
      validate,
      act: decide,
      moot: () =>
        input.approval !== 'approve' ||
        (status.step !== 'looking-up' && status.step !== 'waiting-for-approval'),
    }),
  );
  setHandler(
    decideResetUpdate,
    async (d) => {
      decide(d);
      await condition(() => status.step !== 'waiting-for-approval', UPDATE_ANSWER_WITHIN_MS);
      return { ...status };
    },
    { validator: validate },
  );
  setHandler(passwordSetSignal, () => {
    passwordSet = true;
  });
  const done = async (outcome: ResetOutcome): Promise<ResetOutcome> => {
    status.outcome = outcome;
    setStep('done');
    await condition(allHandlersFinished);
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
    setStep('waiting-for-approval');
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

  setStep('issuing-link');
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

  setStep('waiting-for-password');
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

const OUTCOME_WORDS: Record<ResetOutcome, string> = {
  'link-sent': 'a new link was mailed; it expired unused',
  'password-set': 'the new password is set',
  'no-such-account': 'no account has that address (the form said the same to everyone)',
  refused: 'refused: the account holds a role that cannot be reset by form; admins were told',
  'rejected-by-admin': 'rejected by an admin, or not approved in time',
};

/** The reset's state in words, for the Web UI. */
function resetDetails(status: ResetStatus): string {
  const lines = [`**Step:** ${status.step.replace(/-/g, ' ')}`];
  if (status.step === 'waiting-for-approval')
    lines.push('**Why it waits:** an admin must approve or reject it (cli approve-reset).');
  if (status.decidedBy) lines.push(`**Decided by:** ${status.decidedBy}`);
  if (status.outcome) lines.push(`**Outcome:** ${OUTCOME_WORDS[status.outcome]}`);
  return lines.join('\n\n');
}
