import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageId, setpassLink } from '../../activities/mail/activities';
import {
  loadTemplates,
  MAIL_VARIABLES,
  parseTemplate,
  render,
  type MailContext,
} from '../../activities/mail/render';

const context = Object.fromEntries(
  MAIL_VARIABLES.map((v) => [v, `<${v.toLowerCase()}>`]),
) as MailContext;

test('every built-in template loads and fills all its placeholders', () => {
  for (const template of Object.values(loadTemplates())) {
    const { subject, text } = render(template, context);
    assert.ok(subject.length > 0);
    assert.ok(!/\{\{/.test(subject + text), `${template.name} left a placeholder`);
  }
  const { text } = render(loadTemplates()['set-password'], context);
  assert.match(text, /<setpass_token_url>/);
  assert.match(text, /<token_expiration>/);
});

test('a template naming an unknown variable is refused at load time', () => {
  assert.throws(
    () => parseTemplate('x', 'Subject: hi\n\nDear {{FULL_NAME}}'),
    /unknown variable\(s\) FULL_NAME/,
  );
  assert.throws(() => parseTemplate('x', 'no subject here'), /must start with "Subject/);
});

test('a value cannot inject a header through the subject', () => {
  const template = parseTemplate('x', 'Subject: Hello {{FULLNAME}}\n\nbody');
  assert.equal(
    render(template, { ...context, FULLNAME: 'A\r\nBcc: x@y.z' }).subject,
    'Hello A Bcc: x@y.z',
  );
});

test('links carry the token as a query parameter; message ids are stable and safe', () => {
  assert.equal(
    setpassLink('https://pw.example.org/', 'abc_-1'),
    'https://pw.example.org/?token=abc_-1',
  );
  assert.equal(messageId('onboard:a@b.org:p.welcome'), messageId('onboard:a@b.org:p.welcome'));
  assert.match(messageId('onboard:a@b.org:p q.welcome'), /^<[A-Za-z0-9._-]+@kaizen-onboarding>$/);
});
