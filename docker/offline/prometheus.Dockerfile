# Prometheus 2.42 from Debian bookworm (/usr/bin/prometheus), the version of prom/prometheus:v2.42.0.
ARG BASE
FROM ${BASE}
# The classic UI loads moment-timezone-with-data.min.js; the per-zone data beside it is 200 MB.
RUN echo 'path-exclude /usr/share/javascript/moment-timezone/data/*' \
      > /etc/dpkg/dpkg.cfg.d/90chaoslab-prometheus \
 && apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 9090
CMD ["prometheus"]
