// Bad and hostile rows in the registration sheets: clear marks, no crash, no partial provisioning.
import { badHeaders } from './input-bad-headers';
import { hostileSheet } from './input-hostile-sheet';
import type { Scenario } from './scenario';

export const inputScenarios: Scenario[] = [hostileSheet, badHeaders];
