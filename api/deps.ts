// What the setpass API is given: its stores, secrets and Keystone, the reset starter, its rules.
import type { PageBranding } from './pages';
import type { SecretBox } from './secrets';
import type { TokenStore } from './token-store';

export interface SetpassKeystone {
  canScopeToAdminProject(token: string): Promise<boolean>;
  changePassword(
    userId: string,
    originalPassword: string,
    password: string,
  ): Promise<'changed' | 'wrong-original' | { refused: string }>;
  passwordWorks(userId: string, password: string): Promise<boolean>;
}

export interface ResetRequest {
  name: string;
  email: string;
  pin: string;
}

export interface SetpassDeps {
  store: TokenStore;
  secrets: SecretBox;
  keystone: SetpassKeystone;
  /** Called after a token was consumed with an outbox event: deliver it now. */
  onPasswordSet: () => void;
  /** Starts the reset workflow; must behave the same whether or not the account exists. */
  startReset: (request: ResetRequest) => Promise<void>;
  branding: PageBranding;
  tokenExpirationMs: number;
  maxAttempts: number;
  rateLimitPerMinute: number;
  tokenRateLimitPerMinute: number;
  trustProxy: boolean;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** The deps with their defaults filled in, as the routes use them. */
export type RouteDeps = SetpassDeps & Required<Pick<SetpassDeps, 'now' | 'log'>>;
