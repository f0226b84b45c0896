# Stand-in for python:3.11-slim, from Debian's packages (tests only: production pulls the
# official image). The CA bundle is the build host's, so pip reaches the package index from
# inside the image build the way it does on the host.
ARG DEBIAN_IMAGE=vault03-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python-is-python3 \
    && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt LANG=C.UTF-8
CMD ["python3"]
