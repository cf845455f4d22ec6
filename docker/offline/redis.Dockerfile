# Redis 7.0 from Debian bookworm, laid out like redis:7.0-bookworm: redis-server and redis-cli
# on PATH, user redis with uid/gid 999, /data as the working directory.
ARG BASE
FROM ${BASE}
RUN groupadd -r -g 999 redis \
 && useradd -r -g redis -u 999 redis \
 && apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o redis -g redis /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]
