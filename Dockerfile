# One image for the gateway, the processor and the evaluator (docker-compose.yml picks the entry point).
# The dashboard is built with the dev dependencies in a first stage; the image keeps only its output.
FROM node:20-slim AS dashboard
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json ./
RUN npm ci --ignore-scripts
COPY dashboard ./dashboard
RUN npm run build:dashboard

FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# No install scripts: `prepare` builds the dashboard (done above), onnxruntime-node's fetches GPU extras.
RUN npm ci --omit=dev --ignore-scripts
COPY schemas ./schemas
COPY services ./services
COPY infra/clickhouse ./infra/clickhouse
COPY infra/local ./infra/local
COPY infra/kafka ./infra/kafka
COPY bin ./bin
COPY examples/rules.yaml ./examples/rules.yaml
COPY --from=dashboard /app/dashboard/dist ./dashboard/dist
ENV HINDSIGHT_HTTP_HOST=0.0.0.0
USER node
