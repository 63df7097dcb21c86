// What the codec endpoint is built from; server.ts makes it from the settings, tests by hand.
import type { RequiredClaim } from '../config/required-claim';
import type { TokenVerifier } from './oidc';
import type { PayloadTransformer } from './redacting-codec';

export type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface CodecServerDeps {
  codec: PayloadTransformer;
  /** The namespace whose payloads the keys encrypt ([temporal] namespace). */
  namespace: string;
  /** Origins whose browsers may call; a request without Origin (CLI, curl) is always allowed. */
  allowedOrigins: readonly string[];
  /** Checks bearer tokens; absent: no authentication ([codec] auth = none). */
  verifier?: TokenVerifier;
  /** What a good token must also carry ([codec] required_claim); null or absent: nothing. */
  requiredClaim?: RequiredClaim | null;
  log?: Log;
  maxBodyBytes?: number;
}
