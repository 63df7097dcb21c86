export { onboardUser } from './onboard-user';
