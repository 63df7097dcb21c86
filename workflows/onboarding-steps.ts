// The Keystone and quota steps of onboardUser, as activities (histories recorded before
// LOCAL_STEPS_PATCH) or as local activities, the user made with its link (every onboarding since).
// Workflow code.
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { LOCAL_SERVICE_CALL, SERVICE_CALL } from '../shared/activity-policies';
import type {
  EnsureUserInput,
  OnboardingActivities,
  PinSource,
} from '../shared/activity-contracts';
import { FailureType } from '../shared/failures';
import type { Registration } from '../shared/onboarding';

/**
 * Onboardings started with this marker run their Keystone and quota steps as local activities
 * (LOCAL_SERVICE_CALL) and create a new user with its set-password link in one step; those
 * recorded before it replay the steps as activities, the link issued after the roles.
 */
export const LOCAL_STEPS_PATCH = 'local-steps-user-with-link';

export interface NewUser {
  id: string;
  /** The set-password link's token, when the user was made with it. */
  token?: string;
}

type StepName =
  | 'applyQuotas'
  | 'ensureProject'
  | 'ensureUserWithLink'
  | 'findExistingUser'
  | 'grantMemberRole'
  | 'issueSetpassToken'
  | 'refuseForeignAccount';

export interface Steps extends Pick<
  OnboardingActivities,
  | 'applyQuotas'
  | 'ensureProject'
  | 'findExistingUser'
  | 'grantMemberRole'
  | 'issueSetpassToken'
  | 'refuseForeignAccount'
> {
  /** A new person's account: with its link (LOCAL_STEPS_PATCH), or without (replayed). */
  ensureNewUser(
    input: EnsureUserInput,
    registration: Registration,
    workflowId: string,
  ): Promise<NewUser>;
}

/** A new user's PIN, or the form request that holds it: without one, no link can be issued. */
export function requirePin(registration: Registration): PinSource {
  if (registration.pin) return { pin: registration.pin };
  if (registration.pinRequest) return { pinRequest: registration.pinRequest };
  throw ApplicationFailure.nonRetryable('a new user needs a PIN', FailureType.invalidRegistration);
}

const asActivities = proxyActivities<OnboardingActivities>(SERVICE_CALL);

const local = proxyLocalActivities<OnboardingActivities>(LOCAL_SERVICE_CALL);

/**
 * A local activity fails with the activity's own error; an activity's failure reaches the
 * workflow wrapped in an ActivityFailure naming it. Wrapped here the same way, so an onboarding
 * fails alike (OnboardingFailed, the step, the cause) on either path.
 */
function wrapped<K extends StepName>(name: K): OnboardingActivities[K] {
  const call = local[name] as (...args: unknown[]) => Promise<unknown>;
  return (async (...args: unknown[]) => {
    try {
      return await call(...args);
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      const retryState = err.nonRetryable
        ? RetryState.NON_RETRYABLE_FAILURE
        : RetryState.MAXIMUM_ATTEMPTS_REACHED;
      throw new ActivityFailure(
        'Local activity task failed',
        name,
        undefined,
        retryState,
        undefined,
        err,
      );
    }
  }) as OnboardingActivities[K];
}

const localSteps: Steps = {
  applyQuotas: wrapped('applyQuotas'),
  ensureProject: wrapped('ensureProject'),
  findExistingUser: wrapped('findExistingUser'),
  grantMemberRole: wrapped('grantMemberRole'),
  issueSetpassToken: wrapped('issueSetpassToken'),
  refuseForeignAccount: wrapped('refuseForeignAccount'),
  ensureNewUser: (input, registration, workflowId) =>
    wrapped('ensureUserWithLink')({ ...input, ...requirePin(registration), workflowId }),
};

const stepsAsActivities: Steps = {
  applyQuotas: asActivities.applyQuotas,
  ensureProject: asActivities.ensureProject,
  findExistingUser: asActivities.findExistingUser,
  grantMemberRole: asActivities.grantMemberRole,
  issueSetpassToken: asActivities.issueSetpassToken,
  refuseForeignAccount: asActivities.refuseForeignAccount,
  ensureNewUser: (input) => asActivities.ensureUser(input),
};

/** The steps an onboarding runs: `local` is whether it carries LOCAL_STEPS_PATCH. */
export const onboardingSteps = (local: boolean): Steps => (local ? localSteps : stepsAsActivities);
