// The codec key of the replay fixtures. TEST ONLY: it is public (it is in git) and protects
// nothing; never configure it anywhere real. scripts/record-histories.ts runs the recorded
// worker, API and client with it, so the fixtures carry no payload encrypted with a real key,
// and the replay test decodes the workflows' inputs with it. It is the base64 of the 32 bytes
// of the text "kaizen-replay-fixtures-test-only".
export const FIXTURE_CODEC_KEY_BASE64 = 'a2FpemVuLXJlcGxheS1maXh0dXJlcy10ZXN0LW9ubHk=';
export const FIXTURE_CODEC_KEY = Buffer.from(FIXTURE_CODEC_KEY_BASE64, 'base64');
