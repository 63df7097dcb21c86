# shellcheck shell=bash
# Mailpit: SMTP with STARTTLS required, plus an HTTP API to read mail.
# Sourced by scripts/services.sh.

ensure_tls_cert() {
  [[ -s $TLS_DIR/cert.pem && -s $TLS_DIR/key.pem ]] && return 0
  log "mailpit: generating self-signed certificate for localhost/127.0.0.1"
  mkdir -p "$TLS_DIR"
  local out
  # Self-signed, used by clients as their CA file (no verification turned off).
  out="$(
    umask 077
    openssl req -x509 -nodes -newkey rsa:2048 -sha256 -days 3650 \
      -subj /CN=localhost \
      -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
      -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>&1
  )" || die "mailpit: openssl failed to create the certificate: $out"
  chmod 644 "$TLS_DIR/cert.pem" # the CA file clients read
}

start_mailpit() {
  [[ -x $MAILPIT_BIN ]] || die "mailpit: $MAILPIT_BIN missing; run scripts/install.sh"
  ensure_tls_cert
  # --smtp-auth-accept-any: any credentials or none are accepted.
  # --smtp-disable-rdns: no DNS here; reverse lookups would only add delay.
  # --disable-version-check: it would try GitHub on every start.
  # --smtp-allowed-recipients: a domain under a TLD of 2-6 letters is accepted; the reserved
  # TLD .invalid (7 letters) is refused with a 5xx, so tests can see a recipient refused for good.
  # --max: Mailpit keeps only 500 messages by default; benchmarks and long runs send thousands.
  launch mailpit "$MAILPIT_BIN" \
    --database "$STATE_DIR/mailpit.db" \
    --max 50000 \
    --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
    --smtp "127.0.0.1:$SMTP_PORT" \
    --smtp-tls-cert "$TLS_DIR/cert.pem" \
    --smtp-tls-key "$TLS_DIR/key.pem" \
    --smtp-require-starttls \
    --smtp-auth-accept-any \
    --smtp-disable-rdns \
    --smtp-allowed-recipients '^[^@]+@[^@]+\.[A-Za-z]{2,6}$' \
    --disable-version-check
  wait_for_port 127.0.0.1 "$SMTP_PORT" 30 mailpit
  wait_for_port 127.0.0.1 "$MAILPIT_HTTP_PORT" 30 mailpit
}

stop_mailpit() { stop_pid mailpit 15; }
