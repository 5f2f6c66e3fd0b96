# The collector with the dashboard built in. Build from the repository root:
#   docker build -f compose/collector.Dockerfile -t mirador/collector .
# Node 24 runs the collector's TypeScript as it is (type stripping): only the
# dashboard is built, in the first stage; the image holds production
# dependencies, the collector's sources and the dashboard's build.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY collector/package.json collector/
COPY dashboard/package.json dashboard/
COPY agent/package.json agent/
COPY sample-services/package.json sample-services/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY dashboard/ dashboard/
RUN npm run build -w dashboard

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY collector/package.json collector/
COPY dashboard/package.json dashboard/
COPY agent/package.json agent/
COPY sample-services/package.json sample-services/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w collector \
 && npm cache clean --force \
 && mkdir -p /var/lib/mirador && chown node:node /var/lib/mirador
COPY collector/bin/ collector/bin/
COPY collector/src/ collector/src/
COPY --from=build /app/dashboard/dist/ dashboard/dist/
USER node
ENV MIRADOR_HOST=0.0.0.0 MIRADOR_DATA_DIR=/var/lib/mirador
EXPOSE 4317 4318
VOLUME /var/lib/mirador
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4318/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "collector/bin/mirador-collector.js"]
