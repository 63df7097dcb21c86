// The set-password and reset pages, and the look every page shares: plain HTML that works
// without JavaScript and reads well on a phone. Every value is escaped.
import { PIN_DIGITS, PIN_PATTERN } from '../shared/text-rules';

export interface PageBranding {
  operatorName: string;
  supportEmail: string;
  passwordResetFormUrl: string;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
label,legend{display:block;margin-top:1rem;font-weight:600}
input,textarea{display:block;width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;margin-top:.25rem;border:1px solid #666;border-radius:4px;font-family:inherit}
textarea{min-height:5rem}
input:focus,textarea:focus,button:focus,a:focus{outline:3px solid #f9a825;outline-offset:2px}
fieldset{border:0;padding:0;margin:0}
legend{padding:0}
.choice{display:flex;align-items:center;gap:.5rem;margin-top:.5rem}
.choice input{width:auto;margin:0}
.choice label{margin:0;font-weight:400}
[aria-invalid=true]{border:2px solid #b00020}
.field-error{color:#b00020;font-weight:600;margin:.25rem 0 0}
.field-hint{color:#444;font-size:.95rem;margin:.25rem 0 0}
.error ul{margin:.25rem 0 0;padding-left:1.25rem}
.error a{color:#b00020}
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
button{margin-top:1.5rem;padding:.7rem 1.4rem;font-size:1rem;background:#0b5394;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{background:#fdecea;border-left:4px solid #b00020;padding:.75rem;margin:1rem 0}
.ok{background:#e6f4ea;border-left:4px solid #137333;padding:.75rem;margin:1rem 0}
.hint{color:#444;font-size:.95rem}`;

export function layout(title: string, branding: PageBranding, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · ${escapeHtml(branding.operatorName)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${content}
</main>
<footer><p class="hint">${escapeHtml(branding.operatorName)} · Help: <a href="mailto:${escapeHtml(branding.supportEmail)}">${escapeHtml(branding.supportEmail)}</a></p></footer>
</body>
</html>
`;
}

export const PASSWORD_RULES = 'At least 8 characters, and different from your PIN.';

function errorBox(error: string | undefined): string {
  return error ? `<div class="error" role="alert" id="form-error">${escapeHtml(error)}</div>` : '';
}

export function setPasswordPage(
  branding: PageBranding,
  options: { token: string; csrf: string; error?: string; expiresIn?: string },
): string {
  const described = options.error ? ' aria-describedby="form-error"' : '';
  return layout(
    'Choose your password',
    branding,
    `${errorBox(options.error)}
<p>Enter the 4-digit PIN you chose when you registered, then your new password twice.</p>
<p class="hint" id="rules">Password rules: ${escapeHtml(PASSWORD_RULES)}${options.expiresIn ? ` This link works for ${escapeHtml(options.expiresIn)} after it was sent.` : ''}</p>
<form method="post" action="./">
<input type="hidden" name="token" value="${escapeHtml(options.token)}">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<label for="pin">PIN (${PIN_DIGITS} digits)</label>
<input id="pin" name="pin" type="password" inputmode="numeric" pattern="${PIN_PATTERN}" maxlength="${PIN_DIGITS}" autocomplete="off" required${described}>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required aria-describedby="rules">
<label for="confirm_password">New password, again</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Set password</button>
</form>
<p class="hint">Link expired or PIN forgotten? <a href="${escapeHtml(branding.passwordResetFormUrl)}">Ask for a new link</a>.</p>`,
  );
}

export function resetPage(
  branding: PageBranding,
  options: { csrf: string; error?: string; values?: { name?: string; email?: string } },
): string {
  const v = options.values ?? {};
  return layout(
    'Ask for a new password link',
    branding,
    `${errorBox(options.error)}
<p>We will send a new set-password link to the e-mail address of your account. You will need a
4-digit PIN: choose a new one here, and keep it for the link.</p>
<form method="post" action="reset">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<label for="name">Your name</label>
<input id="name" name="name" autocomplete="name" maxlength="100" required value="${escapeHtml(v.name ?? '')}">
<label for="email">E-mail address of your account</label>
<input id="email" name="email" type="email" autocomplete="email" maxlength="254" required value="${escapeHtml(v.email ?? '')}">
<label for="confirm_email">E-mail address, again</label>
<input id="confirm_email" name="confirm_email" type="email" autocomplete="email" maxlength="254" required>
<label for="pin">New PIN (${PIN_DIGITS} digits)</label>
<input id="pin" name="pin" type="password" inputmode="numeric" pattern="${PIN_PATTERN}" maxlength="${PIN_DIGITS}" autocomplete="off" required>
<button type="submit">Send me a new link</button>
</form>`,
  );
}

export function messagePage(
  branding: PageBranding,
  options: { title: string; message: string; kind: 'ok' | 'error'; offerReset?: boolean },
): string {
  const reset = options.offerReset
    ? `<p><a href="${escapeHtml(branding.passwordResetFormUrl)}">Ask for a new link</a>.</p>`
    : '';
  return layout(
    options.title,
    branding,
    `<div class="${options.kind}" role="${options.kind === 'error' ? 'alert' : 'status'}">${escapeHtml(options.message)}</div>${reset}`,
  );
}
