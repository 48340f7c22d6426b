# One image for the gateway and the CPU worker (the GPU worker image comes with issue #6).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY apps ./apps
COPY packages ./packages
COPY scripts ./scripts
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
ENV HTTP_HOST=0.0.0.0 JOBS_DIR=/jobs
EXPOSE 5000
CMD ["npx", "tsx", "apps/gateway/src/server.ts"]
