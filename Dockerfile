# The Kaizen onboarding image: one image for the worker, the setpass API and the CLI.
#   docker build -t kaizen-onboarding .
# The build runs the same checks as the tests (types, lint, format) before anything ships.
# BASE_IMAGE: another Node 20 image on Debian 12 (the tests build on a local stand-in, as no
# registry is reachable there: scripts/images.sh). Behind a TLS-inspecting proxy, put its CA
# bundle in .build-ca.pem beside this file: npm uses it in the build stage only.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The [m] makes the CA bundle optional: a pattern that matches nothing copies nothing.
COPY package.json package-lock.json .build-ca.pe[m] ./
RUN if [ -f .build-ca.pem ]; then export NPM_CONFIG_CAFILE=/app/.build-ca.pem; fi \
 && npm ci --no-audit --no-fund
COPY . .
RUN rm -f .build-ca.pem \
 && npx tsc -p tsconfig.json \
 && npx eslint . \
 && npx prettier --check . \
 && node --import tsx scripts/bundle-workflows.ts /app/.build/workflows.js \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE_IMAGE}
# The workflow code bundled at build time: workers start faster and never load webpack.
# Bad configuration (a ConfigError: a missing secret file, an unset setting, a refused database
# login) leaves a process idle and unhealthy with one line on the fix, not in a restart loop; the
# worker's health check looks for its ready file (docker-compose.yml).
ENV NODE_ENV=production \
    KAIZEN_SETTINGS=/app/settings.ini \
    KAIZEN_TEMPORAL__WORKFLOW_BUNDLE=/app/.build/workflows.js \
    KAIZEN_ON_BAD_CONFIG=wait \
    KAIZEN_READY_FILE=/tmp/kaizen-ready
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# Runs as the image's unprivileged user; /app stays read-only to it.
USER node
EXPOSE 5001
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["worker.ts"]
