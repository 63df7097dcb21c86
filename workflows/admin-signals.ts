// The admin actions that still arrive as signals: the CLI sends the Updates, but histories in
// flight may carry the signals older versions sent, and replay them on today's code. A signal
// runs its Update's validator, then the Update's own action. It cannot answer: a refusal is
// logged. Signals used to be taken unchecked, so a refused one is ignored only where what it
// used to do can no longer reach a command; elsewhere it is still taken, as recorded histories
// expect (test/replay: onboardUser-resend-pending, a resend sent before the link was mailed).
import { log } from '@temporalio/workflow';

export interface SignalledAction<A> {
  /** The Update's validator: throws the reason of a refusal. */
  validate(input: A): void;
  /** What the Update does once its validator accepted. */
  act(input: A): void;
  /**
   * Whether nothing the workflow will still run reads what `act` sets, in any history: then a
   * refused signal can be ignored without changing a command.
   */
  moot(): boolean;
}

/** Why `validate` refuses `input`, or undefined when it accepts. */
function refusal<A>(validate: (input: A) => void, input: A): string | undefined {
  try {
    validate(input);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The handler of an admin signal named `signal`: `rule.act` unless refused and moot. */
export function signalHandler<A>(signal: string, rule: SignalledAction<A>): (input: A) => void {
  return (input) => {
    const reason = refusal(rule.validate, input);
    if (reason !== undefined && rule.moot()) {
      log.warn(`${signal} signal ignored: ${reason}`, { signal, reason });
      return;
    }
    if (reason !== undefined)
      log.warn(`${signal} signal taken as before, though its Update would refuse it: ${reason}`, {
        signal,
        reason,
      });
    rule.act(input);
  };
}
