import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseCsv,
  registrationFromCsv,
  RegistrationError,
  validateRegistration,
} from '../../registration/parse';
import { onboardingWorkflowId } from '../../shared/onboarding';

const good = {
  email: 'Ada@Example.org',
  firstName: 'Ada',
  lastName: 'Lovelace',
  project: 'Engines',
  pin: '0042',
};

test('a valid registration is normalised (email lower-cased, fields trimmed)', () => {
  const r = validateRegistration({ ...good, firstName: ' Ada ' });
  assert.equal(r.email, 'ada@example.org');
  assert.equal(r.firstName, 'Ada');
  assert.equal(r.pin, '0042');
});

test('every bad field is named with its fix', () => {
  assert.throws(
    () =>
      validateRegistration({
        email: 'nope',
        firstName: '',
        lastName: 'X',
        project: '-bad/name',
        pin: '12345',
      }),
    (err: unknown) => {
      assert.ok(err instanceof RegistrationError);
      const text = err.problems.join('\n');
      assert.match(text, /email is not an e-mail address/);
      assert.match(text, /firstName is required/);
      assert.match(text, /project must be 1-64 letters.*\(not "-bad\/name"\)/);
      assert.match(text, /pin must be exactly 4 digits/);
      return true;
    },
  );
});

test('names that could break a mail header are refused', () => {
  assert.throws(
    () => validateRegistration({ ...good, lastName: 'X\r\nBcc: evil@example.org' }),
    /lastName/,
  );
});

test('CSV rows are read by header name, in any column order, with quotes', () => {
  const csv =
    'PIN,Last name,"First name",Email,New project name,Project description\n' +
    '1234,"O""Brien",Ann,ann@example.org,Optics,"lenses, mirrors"\n';
  const r = registrationFromCsv(csv);
  assert.deepEqual(r, {
    email: 'ann@example.org',
    firstName: 'Ann',
    lastName: 'O"Brien',
    project: 'Optics',
    projectDescription: 'lenses, mirrors',
    pin: '1234',
  });
});

test('a CSV without a needed column says which', () => {
  assert.throws(
    () => registrationFromCsv('Email,PIN\na@b.org,1234\n'),
    /"First name", "Last name", "New project name"/,
  );
});

test('parseCsv keeps line breaks inside quotes', () => {
  assert.deepEqual(parseCsv('a,"b\nc"\r\nd,e'), [
    ['a', 'b\nc'],
    ['d', 'e'],
  ]);
});

test('the workflow id depends on person and project, not on letter case', () => {
  assert.equal(
    onboardingWorkflowId({ email: 'Ada@Example.org', project: 'Engines' }),
    onboardingWorkflowId({ email: 'ada@example.org', project: 'ENGINES' }),
  );
  assert.notEqual(
    onboardingWorkflowId({ email: 'ada@example.org', project: 'a' }),
    onboardingWorkflowId({ email: 'ada@example.org', project: 'b' }),
  );
});
