#!/usr/bin/env bash
# check-service.sh: the guide's service check for the compose deployment (cron: */15 * * * *).
# Each service's container must be running and, where it has a healthcheck, healthy; a
# stopped one is started again. /api/health must answer 200. Problems are alerted through
# the notifier and the script exits 1. While maintenance is on (`vault03 maintenance on`)
# services may be stopped on purpose: nothing is checked, restarted or alerted.
set -uo pipefail

COMPOSE_DIR=${VAULT03_COMPOSE_DIR:-/opt/vault03}
SERVICES=${VAULT03_SERVICES:-api email sms postal notifier nats nginx prometheus alertmanager grafana}
HEALTH_URL=${VAULT03_HEALTH_URL:-https://vault03.yourdomain.com/api/health}
ALERT=${VAULT03_ALERT_COMMAND:-vault03-alert}
problems=0

compose() {
    docker compose --project-directory "$COMPOSE_DIR" "$@"
}

critical() {
    local name=$1 summary=$2
    echo "CRITICAL: $summary"
    "$ALERT" "$name" critical "$summary" || true
    problems=$((problems + 1))
}

# Asked in a one-off api container: it answers even while the api service is stopped.
if window=$(compose run --rm --no-deps -T api vault03 maintenance check 2>/dev/null); then
    echo "OK: $window; checks skipped until \`vault03 maintenance off\`"
    exit 0
fi

for service in $SERVICES; do
    container=$(compose ps -q "$service" 2>/dev/null)
    state=missing
    if [ -n "$container" ]; then
        state=$(docker inspect --format \
            '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' \
            "$container" 2>/dev/null || echo unknown)
    fi
    case "$state" in
        running/healthy | running/none | running/starting) ;;
        running/*)
            critical VaultServiceUnhealthy "$service container is $state"
            ;;
        *)
            critical VaultServiceDown "$service is not running ($state), attempting restart"
            compose up -d "$service" >/dev/null 2>&1 || true
            ;;
    esac
done

HTTP_CODE=$(curl -s -o /dev/null -w "%{http_code}" --max-time 10 "$HEALTH_URL")
if [ "$HTTP_CODE" != "200" ]; then
    critical VaultApiUnhealthy "Health check failed (HTTP $HTTP_CODE) at $HEALTH_URL"
fi

[ "$problems" -eq 0 ]
