import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { addHistory, describeTimes, type ActivityTimes } from '../../bench/activity-times';

const { EventType } = temporal.api.enums.v1;
const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

test('waits and run times per activity type are read from a history', () => {
  const times: ActivityTimes = { waited: new Map(), ran: new Map() };
  // Plain numbers where the protobuf types say Long: the code reads both with Number().
  const history = [
    { eventId: 1, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(1000) },
    {
      eventId: 2,
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      eventTime: at(1040),
      workflowTaskStartedEventAttributes: { scheduledEventId: 1 },
    },
    {
      eventId: 5,
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      eventTime: at(2000),
      activityTaskScheduledEventAttributes: { activityType: { name: 'ensureProject' } },
    },
    {
      eventId: 6,
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      eventTime: at(2300),
      activityTaskStartedEventAttributes: { scheduledEventId: 5 },
    },
    {
      eventId: 7,
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      eventTime: at(2550),
      activityTaskCompletedEventAttributes: { scheduledEventId: 5, startedEventId: 6 },
    },
  ];
  addHistory(times, history as unknown as Parameters<typeof addHistory>[1]);
  assert.deepEqual(times.waited.get('workflow task'), [40]);
  assert.deepEqual(times.waited.get('ensureProject'), [300]);
  assert.deepEqual(times.ran.get('ensureProject'), [250]);
  assert.equal(
    describeTimes('c=1', times),
    'c=1, median ms per call: ensureProject waited 300, ran 250; workflow task waited 40',
  );
});
