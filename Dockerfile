# One image for the gateway and the processor (docker-compose.yml picks the entry point).
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev
COPY schemas ./schemas
COPY services ./services
COPY infra/clickhouse ./infra/clickhouse
COPY infra/local ./infra/local
COPY infra/kafka ./infra/kafka
COPY bin ./bin
ENV HINDSIGHT_HTTP_HOST=0.0.0.0
USER node
