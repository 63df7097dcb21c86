// The codec protocol's wire form: `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data":
// "<base64>"}]}`, the proto3 JSON of temporal.api.common.v1.Payload (bytes as base64).
import type { Payload } from '@temporalio/common';

export interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}

/** The body is not a codec request: a 400 for the caller, with a message meant for them. */
export class PayloadBodyError extends Error {
  override name = 'PayloadBodyError';
}

// proto3 JSON accepts standard and URL-safe base64, padded or not.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function bytes(value: unknown, where: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) {
    throw new PayloadBodyError(`${where} must be a base64 string`);
  }
  return Buffer.from(value, 'base64');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a request body into payloads; throws PayloadBodyError naming what is wrong. */
export function payloadsFromBody(text: string): Payload[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PayloadBodyError('request body is not valid JSON');
  }
  // Protobuf's JSON leaves an empty list out: the temporal CLI sends `{}` for a workflow started
  // without arguments. Any other key is a mistake worth naming.
  if (
    !isObject(body) ||
    !Object.keys(body).every((key) => key === 'payloads') ||
    (body.payloads !== undefined && !Array.isArray(body.payloads))
  ) {
    throw new PayloadBodyError('request body must be a JSON object with a "payloads" array');
  }
  const payloads = (body.payloads ?? []) as unknown[];
  return payloads.map((item: unknown, i): Payload => {
    if (!isObject(item)) throw new PayloadBodyError(`payloads[${i}] must be an object`);
    const { metadata = {}, data } = item;
    if (!isObject(metadata)) {
      throw new PayloadBodyError(`payloads[${i}].metadata must be an object`);
    }
    return {
      metadata: Object.fromEntries(
        Object.entries(metadata).map(([key, value]) => [
          key,
          bytes(value, `payloads[${i}].metadata.${key}`),
        ]),
      ),
      data:
        data === undefined || data === null ? new Uint8Array() : bytes(data, `payloads[${i}].data`),
    };
  });
}

/** The proto3 JSON of a payload; empty data is left out, as proto3 leaves out default values. */
export function payloadToJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  );
  const data = payload.data && payload.data.length > 0 ? payload.data : undefined;
  return data ? { metadata, data: Buffer.from(data).toString('base64') } : { metadata };
}
