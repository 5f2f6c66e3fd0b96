# The sample services and the load generator, each started with the agent
# (`node --import @mirador/agent/register`). Build from the repository root:
#   docker build -f compose/services.Dockerfile -t mirador/sample-services .
# and run one with its file as the command: `... mirador/sample-services order`.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY collector/package.json collector/
COPY dashboard/package.json dashboard/
COPY agent/package.json agent/
COPY sample-services/package.json sample-services/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY agent/ agent/
RUN npm run build -w agent

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY collector/package.json collector/
COPY dashboard/package.json dashboard/
COPY agent/package.json agent/
COPY sample-services/package.json sample-services/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w sample-services -w agent \
 && npm cache clean --force
COPY --from=build /app/agent/dist/ agent/dist/
COPY sample-services/src/ sample-services/src/
COPY compose/start-service.sh /usr/local/bin/start-service
USER node
WORKDIR /app/sample-services
# The component's own health answer: HEALTH_URL (each service's /healthz, the load generator's /status).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTH_URL ?? 'http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/start-service"]
