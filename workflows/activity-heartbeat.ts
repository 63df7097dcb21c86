// How soon a dead worker's activity is given to another: every activity heartbeats while it runs
// (lib/activity-heartbeat.ts, a worker interceptor), so a missing heartbeat this long means the
// worker is gone. The start-to-close timeouts stay the bound for a call that hangs.
export const ACTIVITY_HEARTBEAT_TIMEOUT = '5 seconds';
