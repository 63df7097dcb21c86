// Histories to and from the JSON that `temporal workflow show -o json` writes (proto3 JSON:
// int64 as strings, enums as EVENT_TYPE_* names, bytes as base64, times as RFC 3339).
//
// This is what historyToJSON / historyFromJSON in @temporalio/common/lib/proto-utils do, but
// those fail here with "type must be a Type": npm could not hoist protobufjs 8 (grpc's
// proto-loader holds the top-level slot with protobufjs 7), so @temporalio/common and
// @temporalio/proto each have their own copy, and the protojson of one refuses the reflection
// types of the other. Here both come from @temporalio/proto's copy, whichever place npm gave it.
// Worker.runReplayHistories is given the decoded History: given JSON, it would call the same
// failing historyFromJSON.
import { dirname } from 'node:path';
import { temporal } from '@temporalio/proto';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

const protoDir = dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(
  require.resolve('protobufjs/ext/protojson', { paths: [protoDir] }),
) as ProtoJson;
const historyType = (
  patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }
).lookupType('temporal.api.history.v1.History');

/** The history as fixture text: proto3 JSON, indented, one trailing newline. */
export function historyToFixtureJSON(history: History): string {
  const message = temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** A fixture's parsed JSON as the History the replay worker takes. */
export function historyFromFixtureJSON(json: unknown): History {
  const events = (json as { events?: unknown })?.events;
  if (!Array.isArray(events) || events.length === 0)
    throw new TypeError('not a history: no "events" array');
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
