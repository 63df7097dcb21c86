// Every activity heartbeats while it runs, so Temporal notices a worker that died within the
// workflows' heartbeat timeout (seconds) instead of the activity's start-to-close bound (minutes),
// and gives the work to another worker. Activities need no code of their own for it.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** Well inside ACTIVITY_HEARTBEAT_TIMEOUT (shared/activity-policies.ts); the SDK throttles. */
const EVERY_MS = 1_000;

export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const ticker = setInterval(() => ctx.heartbeat(), EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(ticker);
      }
    },
  },
});
