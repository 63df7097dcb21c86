// Faults on the real local services: crashes, outages, restarts; and the secrets scan.
import { keystoneOutage, smtpOutage, temporalRestart } from './fault-outages';
import { secretsScan } from './fault-secrets';
import { sheetOutage } from './fault-sheet';
import { workerKills } from './fault-worker-kills';
import type { Scenario } from './scenario';

export const faultScenarios: Scenario[] = [
  workerKills,
  keystoneOutage,
  smtpOutage,
  temporalRestart,
  sheetOutage,
  secretsScan,
];
