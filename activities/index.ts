export { createOpenStackActivities } from './openstack/activities';
export { createSetpassActivities } from './setpass/activities';
export { createMailActivities } from './mail/activities';
export { createIntakeActivities } from './sheets/activities';
export { createQuotaIntakeActivities } from './sheets/quota-intake';
export { createQuotaActivities } from './openstack/quotas';
export type { SendMailInput } from './mail/activities';

import type { createOpenStackActivities } from './openstack/activities';
import type { createSetpassActivities } from './setpass/activities';
import type { createMailActivities } from './mail/activities';
import type { createIntakeActivities } from './sheets/activities';
import type { createQuotaIntakeActivities } from './sheets/quota-intake';
import type { createQuotaActivities } from './openstack/quotas';

/** Every activity the onboarding worker registers, as workflows see them. */
export type OnboardingActivities = ReturnType<typeof createOpenStackActivities> &
  ReturnType<typeof createSetpassActivities> &
  ReturnType<typeof createMailActivities> &
  ReturnType<typeof createIntakeActivities> &
  ReturnType<typeof createQuotaIntakeActivities> &
  ReturnType<typeof createQuotaActivities>;
