export { createOpenStackActivities } from './openstack/openstack-activities';
export { createSetpassActivities } from './setpass/setpass-activities';
export { createMailActivities } from './mail/mail-activities';
export { createIntakeActivities } from './sheets/intake-activities';
export { createQuotaIntakeActivities } from './sheets/quota-intake-activities';
export { createQuotaActivities } from './openstack/quota-activities';
export { createFormRequestActivities } from './sheets/form-request-activities';
