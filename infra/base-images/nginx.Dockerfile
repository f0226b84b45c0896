# Stand-in for nginx:1.27 (tests only): Debian's nginx, curl for compose.yaml's health check,
# no default site (compose.yaml mounts the VAULT03 site as conf.d/default.conf, as on the
# official image). The master starts as root, the workers run as www-data (nginx.conf).
ARG DEBIAN_IMAGE=vault03-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx curl \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
