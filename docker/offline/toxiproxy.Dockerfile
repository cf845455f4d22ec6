# Toxiproxy 2.12.0: the host's own `go install` build, at /toxiproxy as in
# ghcr.io/shopify/toxiproxy:2.12.0 (which sets it as ENTRYPOINT; this image does not).
ARG BASE
FROM ${BASE}
COPY toxiproxy-server /toxiproxy
EXPOSE 8474
CMD ["/toxiproxy", "-host=0.0.0.0"]
