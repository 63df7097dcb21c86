export { createOpenStackActivities } from './openstack/activities';
export { createSetpassActivities } from './setpass/activities';
export { createMailActivities } from './mail/activities';
export { createIntakeActivities } from './sheets/activities';
export { createQuotaIntakeActivities } from './sheets/quota-intake';
export { createQuotaActivities } from './openstack/quotas';
export { createFormRequestActivities } from './sheets/form-requests';
