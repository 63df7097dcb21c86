// Delivers "password set" events from the token store's outbox to their workflows. The event is
// written in the same transaction that consumes the token, so a Temporal outage only delays it.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { passwordSetSignal } from '../shared/onboarding';
import type { TokenStore } from './token-store';

type Log = (message: string, fields?: Record<string, unknown>) => void;

export class PasswordSetOutbox {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** A wake that arrived while a delivery was running: run once more right after it. */
  private again = false;

  constructor(
    private readonly store: TokenStore,
    private readonly client: () => Promise<Client>,
    private readonly log: Log,
    private readonly retryMs = 2000,
  ) {}

  start(): void {
    this.wake();
  }

  /** Delivers now (coalesced with a delivery already under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliver().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async deliver(): Promise<void> {
    let pending = 0;
    try {
      const events = await this.store.pendingEvents(100);
      pending = events.length;
      if (events.length > 0) {
        const client = await this.client();
        for (const event of events) {
          try {
            await client.workflow.getHandle(event.workflowId).signal(passwordSetSignal, {
              userId: event.userId,
              at: new Date(event.at).toISOString(),
            });
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
            this.log('password set for a workflow that no longer runs', {
              workflowId: event.workflowId,
            });
          }
          await this.store.markDelivered(event.id);
          pending -= 1;
        }
      }
    } catch (err) {
      this.log('delivering password-set events failed; will retry', {
        pending,
        error: (err as Error).message,
      });
    }
    // Poll while anything is pending; otherwise wait for the next wake (and check now and then).
    if (!this.stopped)
      this.timer = setTimeout(() => this.wake(), pending > 0 ? this.retryMs : 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
