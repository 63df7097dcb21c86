// A real OpenID Connect provider on loopback for the admins' window test: npm `oidc-provider`
// (a certified OpenID Provider; in-process, so nothing to build or pull) with one client (the
// Web UI's), a login page of our own for the test's people, and JWT access tokens whose audience
// is the codec endpoint's ([codec] oidc_audience) and that carry each person's groups.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { default as Provider, Configuration, KoaContextWithOIDC } from 'oidc-provider' with {
  'resolution-mode': 'import',
};

export interface TestPerson {
  login: string;
  password: string;
  email: string;
  name: string;
  groups: string[];
}

export interface OidcProviderOptions {
  clientId: string;
  redirectUri: string;
  /** The `aud` of access tokens ([codec] oidc_audience). */
  audience: string;
  people: TestPerson[];
}

export interface RunningOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Logins that passed the password check, in order. */
  logins: string[];
  close(): Promise<void>;
}

/** The resource indicator every authorization defaults to: its tokens are for the codec. */
const CODEC_RESOURCE = 'urn:kaizen:codec';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  const message = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in to Kaizen</h1>${message}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Username</label> <input id="login" name="login" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString();
  return new URLSearchParams(body);
}

/** Our own interaction routes: the login form, then consent granted for the first-party UI. */
async function interaction(
  provider: Provider,
  people: Map<string, TestPerson>,
  logins: string[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { prompt, uid, params, session } = details;
  if (req.method === 'POST' && req.url?.endsWith('/login')) {
    const form = await formBody(req);
    const person = people.get(form.get('login') ?? '');
    if (!person || person.password !== form.get('password')) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(uid, 'Unknown user or wrong password.'));
      return;
    }
    logins.push(person.login);
    const result = { login: { accountId: person.login } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'login') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid));
    return;
  }
  // Consent: the UI is the admins' own client, so what it asks for is granted without a page.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session?.accountId, clientId: String(params.client_id) });
  if (!grant) throw new Error(`grant ${details.grantId} not found`);
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(resource, scopes.join(' '));
  const result = { consent: { grantId: await grant.save() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

export async function startOidcProvider(
  options: OidcProviderOptions,
): Promise<RunningOidcProvider> {
  // oidc-provider is an ES module only.
  const { default: ProviderClass, errors } = await import('oidc-provider');
  const people = new Map(options.people.map((p) => [p.login, p]));
  const clientSecret = randomBytes(24).toString('base64url');
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'jwk',
  });
  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx, id) => {
      const person = people.get(id);
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: person.email, email_verified: true, name: person.name }),
      };
    },
    // The admins' claim travels in the access token, where the codec endpoint looks for it.
    extraTokenClaims: (_ctx, token) => {
      const person = 'accountId' in token ? people.get(String(token.accountId)) : undefined;
      return person ? { groups: person.groups } : undefined;
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => CODEC_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string) => {
          if (resource !== CODEC_RESOURCE) throw new errors.InvalidTarget();
          return { scope: '', audience: options.audience, accessTokenFormat: 'jwt' };
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [{ ...signingKey, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600 },
  };

  const logins: string[] = [];
  // The issuer names the port: listen first, make the provider then.
  const made: { provider?: Provider } = {};
  const server: Server = createServer((req, res) => {
    const { provider } = made;
    if (!provider) return void res.writeHead(503).end();
    if (!req.url?.startsWith('/interaction/')) return void provider.callback()(req, res);
    interaction(provider, people, logins, req, res).catch((err: Error) => {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`interaction failed: ${err.message}`);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  made.provider = new ProviderClass(issuer, configuration);
  return {
    issuer,
    clientId: options.clientId,
    clientSecret,
    logins,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
