// One place that speaks HTTP to other services and sorts failures into the two kinds callers
// act on: "try again later" (network, timeout, 5xx) and "this request is wrong" (4xx).

/** The service answered 4xx: retrying the same request cannot help. */
export class RequestRejected extends Error {
  constructor(
    public readonly service: string,
    public readonly status: number,
    public readonly detail: string,
    what: string,
  ) {
    super(`${service} refused ${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`);
    this.name = 'RequestRejected';
  }
}

/** Network error, timeout or 5xx: the request may succeed later. */
export class ServiceUnavailable extends Error {
  constructor(service: string, what: string, reason: string) {
    super(`${service} unavailable for ${what}: ${reason}`);
    this.name = 'ServiceUnavailable';
  }
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T>(): T;
}

export interface HttpRequest {
  service: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** Statuses the caller handles itself (e.g. 404 on a lookup, 409 on a create). */
  accept?: number[];
}

export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const what = `${req.method} ${new URL(req.url).pathname}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(req.url, {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...req.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    throw new ServiceUnavailable(req.service, what, errorReason(err));
  }
  const result: HttpResponse = {
    status: response.status,
    headers: response.headers,
    text,
    json<T>() {
      return JSON.parse(text) as T;
    },
  };
  if (response.ok || req.accept?.includes(response.status)) return result;
  if (response.status >= 500 || response.status === 429) {
    throw new ServiceUnavailable(req.service, what, `HTTP ${response.status}`);
  }
  throw new RequestRejected(req.service, response.status, errorDetail(text), what);
}

/** Keystone and friends put the reason in {"error": {"message": …}}; keep it short and single-line. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string }; message?: string };
    const message = body.error?.message ?? body.message;
    if (message) return oneLine(message);
  } catch {
    // not JSON: fall through
  }
  return oneLine(text);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function errorReason(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}
