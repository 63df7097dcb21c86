// The setpass token store: one row per user, at most one live token each, plus an outbox of
// "password set" events that must reach their workflow even if Temporal is down at the time.
export interface TokenRecord {
  userId: string;
  tokenHash: string;
  pinHash: string;
  passwordSealed: Buffer;
  workflowId: string | null;
  updatedAt: number;
  attempts: number;
}

export interface PasswordSetEvent {
  id: number;
  workflowId: string;
  userId: string;
  at: number;
}

export interface TokenStore {
  byUser(userId: string): Promise<TokenRecord | undefined>;
  byTokenHash(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Issues (or re-issues) the user's token: the old token dies and the attempt counter restarts. */
  put(record: Omit<TokenRecord, 'attempts'>): Promise<void>;
  /** Counts a wrong PIN atomically and returns the new count. */
  countFailedAttempt(userId: string): Promise<number>;
  /**
   * Consumes a token and, in the same transaction, records the event for its workflow.
   * False if the token was already consumed (a concurrent request won).
   */
  consume(tokenHash: string, event?: Omit<PasswordSetEvent, 'id'>): Promise<boolean>;
  pendingEvents(limit: number): Promise<PasswordSetEvent[]>;
  markDelivered(id: number): Promise<void>;
  close(): Promise<void>;
}
