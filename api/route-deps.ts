// What the setpass API is given: its stores, secrets and Keystone, the reset starter, its rules.
import type { RegistrationRequestInput } from '../shared/form-request-contract';
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

/** The public request forms (/register, /quota-request) and their confirmation links. */
export interface FormRequestsDeps {
  register: boolean;
  quotaRequest: boolean;
  confirmWithinMs: number;
  requestsPerEmail: number;
  mailApprovers: boolean;
  /** The quota keys /quota-request offers: the sheet's, those the live services accept. */
  quotaKeys(): Promise<readonly string[]>;
  /** Starts the registrationRequest workflow; the form's answer does not wait for it. */
  start(input: RegistrationRequestInput): Promise<void>;
  /** Confirms a request by its mailed token; 'refused' for a used, wrong or expired one. */
  confirm(requestId: string, tokenHash: string): Promise<'confirmed' | 'refused'>;
  /**
   * What the request of a mailed token asks for, read without changing anything; undefined when
   * no request has that token.
   */
  subject(requestId: string, tokenHash: string): Promise<string | undefined>;
}

export interface SetpassDeps {
  store: TokenStore;
  secrets: SecretBox;
  keystone: SetpassKeystone;
  /** Called after a token was consumed with an outbox event: deliver it now. */
  onPasswordSet: () => void;
  /** Starts the reset workflow; must behave the same whether or not the account exists. */
  startReset: (request: ResetRequest) => Promise<void>;
  /** Absent: no request forms are offered. */
  forms?: FormRequestsDeps;
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
