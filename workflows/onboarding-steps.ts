// The Keystone and quota steps of onboardUser, as activities (histories recorded before
// LOCAL_STEPS_PATCH) or as local activities (every onboarding since). Workflow code.
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { LOCAL_SERVICE_CALL, SERVICE_CALL } from '../shared/activity-policies';
import type { OnboardingActivities } from '../shared/activities';

/**
 * Onboardings started with this marker run their Keystone and quota steps as local activities
 * (LOCAL_SERVICE_CALL); those recorded before it replay them as activities.
 */
export const LOCAL_STEPS_PATCH = 'keystone-steps-local';

type StepName =
  | 'applyQuotas'
  | 'ensureProject'
  | 'ensureUser'
  | 'findExistingUser'
  | 'grantMemberRole'
  | 'issueSetpassToken';

export type Steps = Pick<OnboardingActivities, StepName>;

export const stepsAsActivities: Steps = proxyActivities<OnboardingActivities>(SERVICE_CALL);

const local = proxyLocalActivities<OnboardingActivities>(LOCAL_SERVICE_CALL);

/**
 * A local activity fails with the activity's own error; an activity's failure reaches the
 * workflow wrapped in an ActivityFailure naming it. Wrapped here the same way, so an onboarding
 * fails alike (OnboardingFailed, the step, the cause) on either path.
 */
function wrapped<K extends StepName>(name: K): Steps[K] {
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
  }) as Steps[K];
}

export const localSteps: Steps = {
  applyQuotas: wrapped('applyQuotas'),
  ensureProject: wrapped('ensureProject'),
  ensureUser: wrapped('ensureUser'),
  findExistingUser: wrapped('findExistingUser'),
  grantMemberRole: wrapped('grantMemberRole'),
  issueSetpassToken: wrapped('issueSetpassToken'),
};
