# gluco-hub in a container: `docker build -t gluco-hub .`, then see compose.yaml and
# docs/service.md. The image serves the HTTP API to the network, so it needs a bearer token.

# Build stage: the dev dependencies (TypeScript, esbuild) turn the sources into dist/.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY app app
COPY machines machines
COPY sources sources
COPY outputs outputs
COPY commands commands
RUN npm run build

# Run stage: dist/ and the production dependencies only, as the unprivileged `node` user.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist dist
# Named volumes copy these directories' owner, so the node user can write to them.
RUN mkdir -p /var/lib/gluco-hub/state /var/lib/gluco-hub/data && chown -R node:node /var/lib/gluco-hub
USER node
# The working directory is where the filesystem output writes when nothing else is configured
# (gluco-hub-data/<bridge>); the state folder holds vendor sessions and the dead-letter queues.
WORKDIR /var/lib/gluco-hub/data
ENV GLUCO_HUB__STATE_DIR=/var/lib/gluco-hub/state \
    GLUCO_HUB__HTTP__BIND=0.0.0.0:8080
VOLUME ["/var/lib/gluco-hub/state", "/var/lib/gluco-hub/data"]
EXPOSE 8080
# No curl in a slim image: Node's own fetch asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The entrypoint refuses `forever` without GLUCO_HUB__HTTP__BEARER_TOKEN (DOCKER001), then runs
# the CLI in the same process: `docker stop`'s SIGTERM reaches gluco-hub, which drains and exits 0.
ENTRYPOINT ["node", "/app/dist/commands/docker-entrypoint.js"]
CMD ["forever"]
