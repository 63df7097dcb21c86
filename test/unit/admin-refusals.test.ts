// The admin Updates' validators as plain functions: what each refuses, and why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OnboardingStatus } from '../../shared/onboarding';
import { refusals } from '../../workflows/admin-refusals';

const waiting = (): OnboardingStatus => ({
  step: 'waiting-for-password',
  email: 'ada@example.org',
  project: 'p1',
  remindersSent: 0,
});
const registration = { email: 'ada@example.org', existingUser: false };

test('the legacy reminder loop refuses what it would ignore: resend, extend, cancel', () => {
  const legacy = refusals(waiting(), registration, 'onboard:ada', { legacyWait: true });
  const why =
    /started before reminder schedules: its wait cannot resend, extend or cancel; .*temporal workflow terminate --workflow-id onboard:ada/;
  assert.throws(() => legacy.resend(), why);
  assert.throws(() => legacy.extend(3_600_000), why);
  assert.throws(() => legacy.cancel('registered twice'), why);

  // A refused mail's wait takes a cancel and a retry, in the old loop too.
  const refused = refusals({ ...waiting(), step: 'mail-refused' }, registration, 'onboard:ada', {
    legacyWait: true,
  });
  assert.doesNotThrow(() => refused.cancel('address gone'));
  assert.doesNotThrow(() => refused.retryMail());

  // Today's wait takes all three.
  const current = refusals(waiting(), registration, 'onboard:ada', {});
  assert.doesNotThrow(() => current.resend());
  assert.doesNotThrow(() => current.extend(3_600_000));
  assert.doesNotThrow(() => current.cancel('registered twice'));
});
