import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { SERVICE_CALL, SHEET_WRITE } from '../shared/activity-policies';
import type { OnboardingActivities } from '../shared/activity-contracts';
import { FailureType } from '../shared/failures';
import { splitAddresses } from '../shared/text-rules';
import {
  confirmRequestUpdate,
  requestStatusQuery,
  type RegistrationRequestInput,
  type RegistrationRequestOutcome,
  type RegistrationRequestStatus,
} from '../shared/form-request-contract';
import { requestDetails, requester } from './form-request-details';
import {
  kindTable,
  unknownKind,
  type FormRequest,
  type FormRequestOf,
} from '../shared/request-kinds';
import {
  DOING,
  failureDetails,
  failureReason,
  withoutSecrets,
  type Stage,
} from './form-request-failure';

const { sendMail, keepRequestPin, isProjectMember, findUser } =
  proxyActivities<OnboardingActivities>(SERVICE_CALL);
const { recordFormRequest } = proxyActivities<OnboardingActivities>(SHEET_WRITE);

/**
 * A permanent failure after the confirmation mails the admins and fails FormRequestFailed, so
 * that a confirmed request never fails unheard. Called only once a step has failed: histories without the marker failed bare.
 */
const FAILURE_MAILED_PATCH = 'form-request-failure-mailed';

/**
 * A request from /register or /quota-request: mails the requester a one-time confirmation link
 * and waits. Confirmed, it becomes a row of the request sheet with Approved empty, where the
 * approvers already work; unconfirmed, it ends and nothing of it is written anywhere.
 */
export async function registrationRequest(
  input: RegistrationRequestInput,
): Promise<RegistrationRequestOutcome> {
  const { workflowId, runId } = workflowInfo();
  let { request } = input;
  const status: RegistrationRequestStatus = { step: 'waiting-for-confirmation' };
  let confirmed = false;
  const setStep = (step: RegistrationRequestStatus['step']) => {
    status.step = step;
    setCurrentDetails(requestDetails(request, status));
  };
  setStep('waiting-for-confirmation');
  setHandler(requestStatusQuery, () => status);
  // The one check of the link: this request's token, once, in time (an expired request has
  // ended, and an update to it fails before reaching here). The handler checks again: two
  // confirmations in one workflow task both pass the validator.
  const refusal = (tokenHash: string) =>
    tokenHash !== input.confirmTokenHash
      ? 'not the link of this request'
      : confirmed
        ? 'this request is already confirmed'
        : undefined;
  setHandler(
    confirmRequestUpdate,
    ({ tokenHash }) => {
      const refused = refusal(tokenHash);
      if (refused) throw ApplicationFailure.create({ message: refused, nonRetryable: true });
      confirmed = true;
      return { ...status };
    },
    {
      validator: ({ tokenHash }) => {
        const refused = refusal(tokenHash);
        if (refused) throw new Error(refused);
      },
    },
  );
  const done = async (outcome: RegistrationRequestOutcome) => {
    status.outcome = outcome;
    setStep('done');
    await condition(allHandlersFinished);
    return outcome;
  };

  const who = requester(request);
  await sendMail({
    template: kindTable(request).confirmTemplate,
    to: who.email,
    fullName: who.fullName,
    project: who.project,
    confirmToken: input.confirmToken,
    messageKey: `${workflowId}.${runId}.confirm`,
  });
  if (!(await condition(() => confirmed, input.confirmWithinMs))) {
    log.info('form request not confirmed in time: nothing kept');
    return done('expired');
  }

  setStep('recording');
  const confirmedAt = new Date(Date.now()).toISOString();
  // How far it got: a later failure's mail tells the admins what is left to do.
  let stage: Stage = 'membership';
  let pinKept = false;
  // What a kind checks before its row is written: refused (mailed why), or the request to write.
  const checked = async (): Promise<FormRequest | 'refused'> => {
    switch (request.kind) {
      case 'quota':
        if (await isProjectMember({ email: who.email, project: who.project })) return request;
        stage = 'refusal-mail';
        await sendMail({
          template: 'quota-request-refused',
          to: who.email,
          fullName: who.fullName,
          project: who.project,
          reason: `${who.email} is not a member of a project named "${who.project}". Ask the project's contact to add you, or check the project's name.`,
          messageKey: `${workflowId}.${runId}.refused`,
        });
        return 'refused';
      case 'access':
        stage = 'additional-users';
        return withoutUnknownUsers(request);
      default:
        return unknownKind(request);
    }
  };
  const recordConfirmed = async (): Promise<RegistrationRequestOutcome> => {
    const toRecord = await checked();
    if (toRecord === 'refused') return 'refused';
    request = toRecord;
    stage = 'pin';
    if (input.pinHash) {
      await keepRequestPin({ requestId: input.requestId, pinHash: input.pinHash });
      pinKept = true;
    }
    stage = 'row';
    // The workflow's clock: a retried write makes the same row (same key), not a second one.
    const at = new Date(Date.now()).toISOString();
    await recordFormRequest({ requestId: input.requestId, request, at });
    stage = 'approvers-mail';
    if (input.mailApprovers) {
      await sendMail({
        template: 'new-request',
        to: '',
        audience: 'approvers',
        fullName: who.fullName,
        username: who.email,
        project: who.project,
        reason: kindTable(request).described,
        messageKey: `${workflowId}.${runId}.approvers`,
      });
    }
    return 'recorded';
  };

  let outcome: RegistrationRequestOutcome;
  try {
    outcome = await recordConfirmed();
  } catch (err) {
    // Transient trouble never gets here (retried until done): this is a 4xx or a refusal.
    if (!patched(FAILURE_MAILED_PATCH)) throw err;
    const reason = withoutSecrets(input, failureReason(err));
    const failure = `${DOING[stage]}: ${reason}`;
    status.failure = failure;
    setStep('failed');
    log.warn('confirmed form request failed; mailing the admins', { stage, reason });
    try {
      await sendMail({
        template: 'form-request-failed',
        to: '',
        audience: 'admins',
        fullName: who.fullName,
        username: who.email,
        project: who.project,
        reason: failure,
        values: {
          REQUEST_TYPE: kindTable(request).described,
          REQUEST_DETAILS: failureDetails(input, request, { stage, pinKept, confirmedAt }),
        },
        messageKey: `${workflowId}.${runId}.failed`,
      });
      status.failure = `${failure} (the admins were mailed)`;
    } catch (mailErr) {
      // The workflow's failure below still names the reason, in the Web UI and `cli status`.
      const why = failureReason(mailErr);
      status.failure = `${failure} (the admins could not be mailed: ${why})`;
      log.error('the admins could not be mailed of a failed form request', { reason: why });
    }
    setStep('failed');
    await condition(allHandlersFinished);
    throw ApplicationFailure.create({
      message: `request ${input.requestId} from ${who.email} failed ${DOING[stage]}: ${reason}`,
      type: FailureType.formRequestFailed,
      nonRetryable: true,
      cause: err instanceof Error ? err : undefined,
    });
  }
  return done(outcome);
}

/**
 * An additional user without an account would fail the approved onboarding at its roles, after
 * the requester's account exists: such addresses leave the column and are named in the comment,
 * for the approvers. Looked up only now, after confirmation: the form itself tells nothing.
 */
async function withoutUnknownUsers(
  request: FormRequestOf<'access'>,
): Promise<FormRequestOf<'access'>> {
  const { values } = request;
  const known: string[] = [];
  const unknown: string[] = [];
  for (const email of splitAddresses(values.additionalUsers))
    ((await findUser({ name: email })) ? known : unknown).push(email);
  if (unknown.length === 0) return request;
  const note = `Not added, no account: ${unknown.join(', ')}`;
  return {
    kind: 'access',
    values: {
      ...values,
      additionalUsers: known.join(', '),
      comment: values.comment ? `${values.comment} (${note})` : note,
    },
  };
}
