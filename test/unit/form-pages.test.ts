// The HTML of /register, /quota-request and /confirm: escaped, accessible, never a PIN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmPage, quotaRequestPage, registerPage } from '../../api/form-pages';
import { quotaValues, registerValues } from '../../intake/form-rules';
import { REQUESTABLE_QUOTAS } from '../../intake/quota-rows';
import { REGISTER_FORM_COLUMNS, QUOTA_FORM_COLUMNS } from '../../shared/form-request-contract';
import { requestSubject, requestSummary } from '../../shared/request-kinds';

const BRANDING = {
  operatorName: 'Test Cloud',
  supportEmail: 'help@example.org',
  passwordResetFormUrl: 'https://example.org/reset',
};
const HOSTILE = `"><script>alert('x')</script>&`;
const ESCAPED = '&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;';
const RADIOS = ['existingAccount', 'newOrExisting', 'duration'];

const allOf = (columns: readonly string[], value: string) =>
  Object.fromEntries(columns.map((c) => [c, value]));
const quotaPage = (options: Partial<Parameters<typeof quotaRequestPage>[1]> = {}) =>
  quotaRequestPage(BRANDING, { csrf: 'c', quotaKeys: REQUESTABLE_QUOTAS, ...options });

/** The attributes of the element with this id. */
function element(html: string, id: string): string {
  const found = new RegExp(`<(input|textarea)[^>]* id="${id}"[^>]*>`).exec(html);
  assert.ok(found, `no input with id ${id}`);
  return found[0];
}

test('every refilled value is escaped, in every text field of both forms', () => {
  const pages = [
    [
      registerPage(BRANDING, { csrf: 'c', values: allOf(REGISTER_FORM_COLUMNS, HOSTILE) }),
      REGISTER_FORM_COLUMNS,
    ],
    [quotaPage({ values: allOf(QUOTA_FORM_COLUMNS, HOSTILE) }), QUOTA_FORM_COLUMNS],
  ] as const;
  for (const [html, columns] of pages) {
    assert.doesNotMatch(html, /<script/i, 'no script, hostile or ours');
    assert.doesNotMatch(html, /alert\('x'\)/);
    for (const column of columns.filter((c) => !RADIOS.includes(c))) {
      const tag = element(html, column);
      if (tag.startsWith('<textarea'))
        assert.ok(html.includes(`${tag}${ESCAPED}</textarea>`), column);
      else assert.ok(tag.includes(` value="${ESCAPED}"`), column);
    }
  }
  const hostileCsrf = registerPage(BRANDING, { csrf: HOSTILE, problems: { email: HOSTILE } });
  assert.ok(!hostileCsrf.includes(HOSTILE) && hostileCsrf.includes(`value="${ESCAPED}"`));
});

test('a radio answer is checked again; an unknown one checks nothing', () => {
  const html = registerPage(BRANDING, { csrf: 'c', values: { existingAccount: 'No' } });
  assert.match(html, /id="existingAccount-No" name="existingAccount" value="No" required checked/);
  assert.doesNotMatch(html, /value="Yes"[^>]* checked/);
  const odd = quotaPage({ values: { duration: 'forever' } });
  assert.doesNotMatch(odd, / checked/);
});

test('the PIN is never written back, even when the values carry one', () => {
  // A page given the PINs among its values (as a careless caller might) still shows neither.
  const values = {
    ...allOf(REGISTER_FORM_COLUMNS, 'v'),
    pin: '2468',
    pin_again: '2468',
    pinAgain: '2468',
  } as Record<string, string>;
  const html = registerPage(BRANDING, {
    csrf: 'c',
    values,
    problems: { pin: 'bad', pinAgain: 'differ' },
  });
  assert.ok(!html.includes('2468'));
  for (const id of ['pin', 'pin_again']) {
    const tag = element(html, id);
    assert.doesNotMatch(tag, /value=/);
    assert.match(
      tag,
      /type="password" inputmode="numeric" pattern="\[0-9\]\{4\}" maxlength="4" autocomplete="off"/,
    );
  }
});

test('each problem sits beside its input, tied by aria-describedby, and is linked from the summary', () => {
  const problems = {
    email: 'Give your e-mail',
    pinAgain: 'The two PINs differ',
    existingAccount: 'Answer Yes or No',
    additionalUsers: 'invalid addresses',
    form: 'This form had expired.',
  };
  const html = registerPage(BRANDING, { csrf: 'c', problems });
  assert.match(
    html,
    /<div class="error" role="alert" id="form-problems">\n<p>This form had expired\.<\/p>/,
  );
  for (const [field, id] of [
    ['email', 'email'],
    ['pinAgain', 'pin_again'],
    ['existingAccount', 'existingAccount'],
    ['additionalUsers', 'additionalUsers'],
  ] as const) {
    assert.ok(html.includes(`<p class="field-error" id="${id}-error">${problems[field]}</p>`), id);
    const tag = element(html, id);
    assert.match(tag, /aria-invalid="true"/);
    assert.match(tag, new RegExp(`aria-describedby="([\\w-]+ )?${id}-error"`));
    assert.ok(html.includes(`<li><a href="#${id}">${problems[field]}</a></li>`), id);
  }
  // Both radios of a group are marked; the error comes before the inputs it is about.
  assert.match(element(html, 'existingAccount-No'), /aria-describedby="existingAccount-error"/);
  assert.ok(html.indexOf('id="email-error"') < html.indexOf('id="email"'));
  assert.equal(html.match(/aria-invalid="true"/g)?.length, 5);
  // Only the fields with a problem are marked; a clean page has no alert at all.
  assert.doesNotMatch(element(html, 'firstName'), /aria-invalid|aria-describedby/);
  assert.doesNotMatch(registerPage(BRANDING, { csrf: 'c' }), /role="alert"|aria-invalid="true"/);
  const quota = quotaPage({ problems: { cores: 'CPU cores must be a whole number' } });
  assert.match(element(quota, 'cores'), /aria-invalid="true" aria-describedby="cores-error"/);
  assert.match(quota, /<a href="#cores">/);
});

test('both forms: post to their relative action, carry csrf and a hidden honeypot, label every input', () => {
  for (const [html, action, names] of [
    [
      registerPage(BRANDING, { csrf: 'tok' }),
      'register',
      [...REGISTER_FORM_COLUMNS, 'pin', 'pin_again'],
    ],
    [quotaPage({ csrf: 'tok' }), 'quota-request', QUOTA_FORM_COLUMNS],
  ] as const) {
    assert.ok(html.includes(`<form method="post" action="${action}">`));
    assert.ok(html.includes('<input type="hidden" name="csrf" value="tok">'));
    assert.match(
      html,
      /<div class="trap"><label for="website">Leave this field empty[^<]*<\/label>\n<input id="website" name="website" type="text" tabindex="-1" autocomplete="off"><\/div>/,
    );
    assert.match(html, /\.trap\{position:absolute;left:-10000px/);
    assert.match(html, /<button type="submit">Send request<\/button>/);
    const posted = [...html.matchAll(/<(?:input|textarea)[^>]* name="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(new Set(posted), new Set([...names, 'csrf', 'website']));
    for (const [, id] of html.matchAll(/<(?:input|textarea) id="([^"]+)"/g))
      assert.ok(html.includes(`<label for="${id}">`), `label for ${id}`);
  }
});

test('the register page says what happens next; the quota page whom it is for', () => {
  const register = registerPage(BRANDING, { csrf: 'c' });
  assert.match(register, /confirm your request/);
  assert.match(register, /approvers look at your request/);
  assert.match(register, /link to choose a password/);
  assert.match(register, /set-password page later.*Existing users: leave both PIN fields empty/);
  assert.match(register, /separated by commas or spaces/);
  const quota = quotaPage();
  assert.match(quota, /for members of a project/);
  assert.match(quota, /<label for="comments">Why do you need it\?<\/label>/);
  assert.match(element(quota, 'endDate'), /type="date"/);
  for (const key of REQUESTABLE_QUOTAS)
    assert.match(element(quota, key), /type="number" min="0" step="1"/);
  const fewer = quotaPage({ quotaKeys: ['cores'] });
  assert.match(fewer, /id="cores"/);
  assert.doesNotMatch(fewer, /id="instances"/);
});

test('the confirm page holds the token and csrf, and one button that posts them', () => {
  const token = '0b0e4a2c-4f0e-4a7e-9d55-3f7e8a9b1c2d.secret"<x>';
  const html = confirmPage(BRANDING, {
    token,
    csrf: 'c"srf',
    subject: 'an account for ada@example.org',
  });
  assert.ok(html.includes('<form method="post" action="confirm">'));
  assert.ok(
    html.includes(
      '<input type="hidden" name="token" value="0b0e4a2c-4f0e-4a7e-9d55-3f7e8a9b1c2d.secret&#34;&#60;x&#62;">',
    ),
  );
  assert.ok(html.includes('<input type="hidden" name="csrf" value="c&#34;srf">'));
  assert.equal(html.match(/<button/g)?.length, 1);
  assert.match(html, /<button type="submit">Confirm my request<\/button>/);
  assert.match(html, /Confirm your request for an account for ada@example\.org:/);
  assert.equal(html.match(/<input/g)?.length, 2);
  const quota = confirmPage(BRANDING, {
    token: 't',
    csrf: 'c',
    subject: `more quota in project ${HOSTILE}`,
  });
  assert.ok(quota.includes(`Confirm your request for more quota in project ${ESCAPED}:`), quota);
  assert.match(confirmPage(BRANDING, { token: 't', csrf: 'c' }), /Confirm your request:/);
});

test('what a request asks for, in words, by its kind', () => {
  const access = { kind: 'access' as const, values: registerValues({ email: 'ada@example.org' }) };
  const quota = {
    kind: 'quota' as const,
    values: quotaValues({ email: 'ada@example.org', project: 'p1' }),
  };
  assert.equal(requestSubject(access), 'an account for ada@example.org');
  assert.equal(requestSubject(quota), 'more quota in project p1');
  assert.equal(requestSummary(access), 'Request for an account from ada@example.org');
  assert.equal(requestSummary(quota), 'Request for more quota in p1 from ada@example.org');
});
