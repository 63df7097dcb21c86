// Bad and hostile rows in the registration sheets, and hostile values typed into the request
// forms: clear marks or refusals, no crash, no partial provisioning, nothing unconfirmed written.
import { badHeaders } from './input-bad-headers';
import { hostileForms } from './input-hostile-forms';
import { hostileSheet } from './input-hostile-sheet';
import type { Scenario } from './scenario';

export const inputScenarios: Scenario[] = [hostileSheet, hostileForms, badHeaders];
