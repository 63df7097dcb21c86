// Hostile and bad input against the setpass API and the sheet intake.
import { hostileHttp } from './api-hostile';
import { pinLockout } from './api-lockout';
import { registerTiming } from './api-register-timing';
import { resetTiming } from './api-reset-timing';
import { apiRestart } from './api-restart';
import { randomTokens } from './api-tokens';
import type { Scenario } from './scenario';

export const apiScenarios: Scenario[] = [
  randomTokens,
  pinLockout,
  resetTiming,
  registerTiming,
  hostileHttp,
  apiRestart,
];
