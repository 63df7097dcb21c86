// The patch ids of onboardUser's changes since v0.1.0-57, in one place: each is a `patched()`
// marker in the histories written since, and must never be renamed (test/replay checks it).

/** New users: an address naming someone else's account is refused before anything is made. */
export const FOREIGN_ACCOUNT_PATCH = 'refuse-foreign-account';

/** A cancel accepted while the steps run stops before the next step, not at the password wait. */
export const CANCEL_STOPS_STEPS_PATCH = 'cancel-stops-steps';

/** A cancelled or abandoned onboarding revokes its link and says what it undid and kept. */
export const REVOKE_ON_END_PATCH = 'revoke-link-on-end';
