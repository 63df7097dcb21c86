import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { messageId, setpassLink } from '../../activities/mail/mail-activities';
import { loadTemplates, parseTemplate, render } from '../../mail/render';
import { MAIL_VARIABLES, type MailContext } from '../../shared/mail-templates';

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

test("an operator's templates replace the built-in ones; strays and unknown variables stop start-up", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-templates-'));
  writeFileSync(
    join(dir, 'welcome.txt'),
    'Subject: Hi {{FULLNAME}}\n\nOur own welcome to {{PROJECT}}',
  );
  writeFileSync(join(dir, 'welcome.html'), '<p>Hi <b>{{FULLNAME}}</b></p>');
  const templates = loadTemplates(dir);
  const welcome = render(templates.welcome, { ...context, FULLNAME: '<script>x</script> & co' });
  assert.equal(welcome.subject, 'Hi <script>x</script> & co');
  assert.match(welcome.text, /^Our own welcome to <project>/);
  assert.equal(welcome.html, '<p>Hi <b>&lt;script&gt;x&lt;/script&gt; &amp; co</b></p>');
  assert.equal(render(templates.reminder, context).html, undefined, 'others stay built-in');

  writeFileSync(join(dir, 'welcom.txt'), 'Subject: typo\n\nx');
  assert.throws(() => loadTemplates(dir), /welcom\.txt name no template; the names are welcome,/);
  rmSync(join(dir, 'welcom.txt'));
  writeFileSync(join(dir, 'reminder.html'), '<p>{{FULL_NAME}}</p>');
  assert.throws(() => loadTemplates(dir), /reminder\.html: unknown variable\(s\) FULL_NAME/);
});

test('the built-in quota mail has an HTML part with the table', () => {
  const { html } = render(loadTemplates()['quota-change'], {
    ...context,
    QUOTA_LIST: 'cores 1 -> 2',
  });
  assert.match(html ?? '', /<pre[^>]*>cores 1 -&gt; 2<\/pre>/);
});
