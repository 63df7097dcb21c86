// GET/POST /register and /quota-request: the public request forms. A valid form starts the
// registrationRequest workflow, which mails a one-time link (its page: confirm-request.ts).
// Every valid form gets the same answer, at once, whatever the address: a form looks nothing up.
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import {
  quotaFormProblems,
  quotaValues,
  registerFormProblems,
  registerValues,
  type FieldProblems,
} from '../../intake/form-rules';
import { formatDuration } from '../../config/duration';
import { REQUESTABLE_QUOTAS } from '../../intake/quota-rows';
import {
  requestPinBinding,
  type RegistrationRequestInput,
} from '../../shared/form-request-contract';
import type { FormRequest } from '../../shared/request-kinds';
import { BODY_LIMIT, optionalString, readBody } from '../body';
import { csrfCookie, csrfMatches } from '../csrf';
import type { RouteDeps } from '../route-deps';
import { quotaRequestPage, registerPage } from '../form-pages';
import { limitPerClient } from '../middleware';
import { StoredRateLimiter, type RateLimiter } from '../rate-limit';
import { respond } from '../respond';
import { hashToken, newToken } from '../secrets';
import { confirmRequestRoutes } from './confirm-request';

/** The answer to every valid form, whatever the address. */
export function requestAnswer(confirmWithinMs: number): string {
  return `If this address can receive mail, a confirmation link is on its way. Open it within ${formatDuration(confirmWithinMs)} to send your request on.`;
}
const HOUR_MS = 3_600_000;

type Fields = Record<string, string | undefined>;

export function formRequestRoutes(
  router: Router,
  deps: RouteDeps,
  limitClient: Middleware,
  perToken: RateLimiter,
): void {
  const forms = deps.forms;
  if (!forms) return;
  // Sending a form starts a workflow that mails someone: these two limits are counted in the
  // token store, so several API processes share them and a restart does not reset them.
  const limitFormClient = limitPerClient(
    new StoredRateLimiter(deps.store, 'form-client', deps.rateLimitPerMinute, 60_000, deps.now),
  );
  const perEmail = new StoredRateLimiter(
    deps.store,
    'form-email',
    forms.requestsPerEmail,
    HOUR_MS,
    deps.now,
  );
  const answer = requestAnswer(forms.confirmWithinMs);
  const fieldsOf = (body: Record<string, unknown>): Fields =>
    Object.fromEntries(Object.keys(body).map((k) => [k, optionalString(body, k)]));

  /** Starts the request's workflow without waiting: the answer must not tell anything. */
  const startRequest = (request: FormRequest, pin?: string): void => {
    const requestId = randomUUID();
    const confirmToken = `${requestId}.${newToken()}`;
    const input: RegistrationRequestInput = {
      requestId,
      request,
      confirmToken,
      confirmTokenHash: hashToken(confirmToken),
      confirmWithinMs: forms.confirmWithinMs,
      mailApprovers: forms.mailApprovers,
      ...(pin ? { pinHash: deps.secrets.pinHash(requestPinBinding(requestId), pin) } : {}),
    };
    forms.start(input).catch((err: unknown) => {
      deps.log('form request could not be started', {
        kind: request.kind,
        error: (err as Error).message,
      });
    });
  };

  /** Starts a valid request; a filled honeypot or an address over its limit: the same answer. */
  async function accept(
    ctx: Context,
    request: FormRequest,
    trap: string,
    pin?: string,
  ): Promise<void> {
    const { kind } = request;
    if (trap) deps.log('form request dropped: honeypot filled', { kind });
    else if ((await perEmail.hit(`${kind}:${request.values.email}`)) > 0)
      deps.log('form request dropped: too many for one address', { kind });
    else startRequest(request, pin);
    respond(ctx, deps.branding, {
      status: 200,
      title: 'Check your e-mail',
      message: answer,
    });
  }

  /** The form again with its problems (400), or the bare problems to a non-browser. */
  function again(
    ctx: Context,
    status: number,
    page: (csrf: string) => string,
    problems: FieldProblems,
  ): void {
    ctx.status = status;
    if (!ctx.accepts('html')) {
      ctx.type = 'text/plain';
      ctx.body = Object.entries(problems)
        .map(([field, message]) => `${field}: ${message}`)
        .join('\n');
      return;
    }
    ctx.type = 'text/html';
    ctx.body = page(csrfCookie(ctx));
  }
  const expired = { form: 'This form had expired. Please send it again.' };

  if (forms.register) {
    router.get('/register', limitClient, (ctx) => {
      ctx.type = 'text/html';
      ctx.body = registerPage(deps.branding, { csrf: csrfCookie(ctx) });
    });
    router.post('/register', limitClient, limitFormClient, async (ctx) => {
      const body = await readBody(ctx, BODY_LIMIT);
      const fields = fieldsOf(body);
      const values = registerValues(fields);
      const pin = fields.pin ?? '';
      const page = (problems: FieldProblems) => (csrf: string) =>
        registerPage(deps.branding, { csrf, values, problems });
      if (!csrfMatches(ctx, body)) return again(ctx, 403, page(expired), expired);
      const problems = registerFormProblems(values, pin, fields.pin_again ?? '');
      if (Object.keys(problems).length > 0) return again(ctx, 400, page(problems), problems);
      const newUser = values.existingAccount.toLowerCase() === 'no';
      await accept(
        ctx,
        { kind: 'access', values },
        fields.website ?? '',
        newUser ? pin : undefined,
      );
    });
  }

  if (forms.quotaRequest) {
    /** What the services accept; all of the sheet's keys while they cannot be asked. */
    const offered = async (): Promise<readonly string[]> => {
      try {
        return await forms.quotaKeys();
      } catch (err) {
        deps.log('live quota keys unknown: the form offers every key', {
          error: (err as Error).message,
        });
        return REQUESTABLE_QUOTAS;
      }
    };
    router.get('/quota-request', limitClient, async (ctx) => {
      const quotaKeys = await offered();
      ctx.type = 'text/html';
      ctx.body = quotaRequestPage(deps.branding, { csrf: csrfCookie(ctx), quotaKeys });
    });
    router.post('/quota-request', limitClient, limitFormClient, async (ctx) => {
      const body = await readBody(ctx, BODY_LIMIT);
      const fields = fieldsOf(body);
      const values = quotaValues(fields);
      const quotaKeys = await offered();
      const page = (problems: FieldProblems) => (csrf: string) =>
        quotaRequestPage(deps.branding, { csrf, values, problems, quotaKeys });
      if (!csrfMatches(ctx, body)) return again(ctx, 403, page(expired), expired);
      const problems = quotaFormProblems(values, new Date(deps.now()));
      for (const key of REQUESTABLE_QUOTAS)
        if (values[key] !== '' && !quotaKeys.includes(key))
          problems[key] = `${key} cannot be asked for here: the cloud's services do not offer it.`;
      if (Object.keys(problems).length > 0) return again(ctx, 400, page(problems), problems);
      await accept(ctx, { kind: 'quota', values }, fields.website ?? '');
    });
  }

  confirmRequestRoutes(router, deps, limitClient, perToken);
}
