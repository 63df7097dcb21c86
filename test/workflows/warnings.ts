// The warnings workflows log (`log.warn`), kept for the tests that read them: a refused admin
// signal cannot answer, so its warning is what shows it was refused.
import { DefaultLogger, type LogLevel, type Logger } from '@temporalio/worker';

interface Warning {
  workflowId?: string;
  message: string;
}
/** Every workflow warning of this process, oldest first. */
const warnings: Warning[] = [];

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** A logger that prints what reaches `level`, and keeps workflow warnings whatever it prints. */
export function keepingWarnings(level: LogLevel): Logger {
  const shown = new DefaultLogger(level);
  const lowest = LEVELS[Math.min(LEVELS.indexOf(level), LEVELS.indexOf('WARN'))];
  return new DefaultLogger(lowest, ({ level: at, message, meta }) => {
    if (at === 'WARN' && meta?.sdkComponent === 'workflow')
      warnings.push({ workflowId: meta.workflowId as string | undefined, message });
    shown.log(at, message, meta);
  });
}

/**
 * The warnings about signals (` signal ` in the message) a workflow logged, once there are
 * `count` of them: a workflow's log reaches the worker's logger a moment after its task.
 */
export async function signalWarnings(workflowId: string, count: number): Promise<string[]> {
  for (let i = 0; ; i++) {
    const found = warnings
      .filter((w) => w.workflowId === workflowId && / signal /.test(w.message))
      .map((w) => w.message);
    if (found.length >= count) return found;
    if (i >= 500)
      throw new Error(`${count} signal warnings expected, got ${JSON.stringify(found)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
