export { onboardUser } from './onboard-user';
export { resetPassword } from './reset-password';
export { pollRegistrations } from './poll-registrations';
export { updateQuota } from './update-quota';
export { checkRequests } from './check-requests';
export { registrationRequest } from './registration-request';
