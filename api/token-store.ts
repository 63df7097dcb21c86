// The setpass token store: one row per user, at most one live token each, plus an outbox of
// "password set" events that must reach their workflow even if Temporal is down at the time,
// the PIN hashes chosen on the /register form, kept by request until the user exists, and the
// request forms' rate-limit counters (shared by every API process on the database).
export interface TokenRecord {
  userId: string;
  tokenHash: string;
  pinHash: string;
  /** What pinHash is bound to (SecretBox.pinHash); null: the user id. */
  pinBinding: string | null;
  passwordSealed: Buffer;
  workflowId: string | null;
  updatedAt: number;
  attempts: number;
}

/** A token as issued; pinBinding may be left out (null) by callers that bind to the user id. */
export type IssuedToken = Omit<TokenRecord, 'attempts' | 'pinBinding'> & {
  pinBinding?: string | null;
};

export interface PasswordSetEvent {
  id: number;
  workflowId: string;
  userId: string;
  at: number;
}

/** A rate-limit window as counted in the store (api/rate-limit.ts). */
export interface HitWindow {
  hits: number;
  windowEnd: number;
}

export interface TokenStore {
  byUser(userId: string): Promise<TokenRecord | undefined>;
  byTokenHash(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Issues (or re-issues) the user's token: the old token dies and the attempt counter restarts. */
  put(record: IssuedToken): Promise<void>;
  /**
   * Deletes the user's token if `workflowId` issued it (any issuer when null): the link then
   * answers like any dead link. True if a token was deleted.
   */
  revoke(userId: string, workflowId: string | null): Promise<boolean>;
  /** Counts a wrong PIN atomically and returns the new count (0: the token is gone). */
  countFailedAttempt(userId: string): Promise<number>;
  /**
   * Consumes a token and, in the same transaction, records the event for its workflow.
   * False if the token was already consumed (a concurrent request won).
   */
  consume(tokenHash: string, event?: Omit<PasswordSetEvent, 'id'>): Promise<boolean>;
  pendingEvents(limit: number): Promise<PasswordSetEvent[]>;
  markDelivered(id: number): Promise<void>;
  /** Keeps the PIN hash chosen on a form request; again for the same request replaces it. */
  putRequestPin(requestId: string, pinHash: string, at: number): Promise<void>;
  requestPinHash(requestId: string): Promise<string | undefined>;
  /**
   * Counts one hit in `bucket`'s fixed window, atomically across every process on the database,
   * and returns the window's count and end. A window ended by `now` restarts at `now`.
   */
  countHit(bucket: string, now: number, windowMs: number): Promise<HitWindow>;
  /** Deletes the windows ended by `now`; returns how many. */
  pruneHits(now: number): Promise<number>;
  close(): Promise<void>;
}
