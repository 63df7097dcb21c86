// The project's own Docker engine (scripts/docker-engine.sh), for the image and compose tests.

/** DOCKER_HOST of the project's engine; refuses anything else (never the machine's default). */
export function dockerHost(): string {
  const host = process.env.DOCKER_HOST;
  if (!host?.startsWith('unix:///run/kaizen-docker-'))
    throw new Error(
      "DOCKER_HOST does not name the project's engine: run the tests with npm test (it starts scripts/docker-engine.sh), never against the machine's default daemon",
    );
  return host;
}
