#!/usr/bin/env bash
# check-disk.sh: the guide's disk space check (cron: */15 * * * *), alerting through the
# notifier. Exits 1 when over the threshold.
set -euo pipefail

THRESHOLD=${VAULT03_DISK_THRESHOLD:-80}
DATA_DIR=${VAULT03_DATA_DIR:-/opt/vault03/data}
ALERT=${VAULT03_ALERT_COMMAND:-vault03-alert}

USAGE=$(df -P "$DATA_DIR" | tail -1 | awk '{print $5}' | sed 's/%//')

if [ "$USAGE" -gt "$THRESHOLD" ]; then
    echo "WARNING: Disk usage is ${USAGE}% (threshold: ${THRESHOLD}%)"
    "$ALERT" VaultDiskUsageHigh warning "Disk space critical: ${USAGE}% used on $DATA_DIR" \
        "Disk usage of $DATA_DIR is ${USAGE}% (threshold ${THRESHOLD}%)." || true
    exit 1
fi
