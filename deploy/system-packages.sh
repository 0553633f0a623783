#!/usr/bin/env bash
# Debian packages the tests and the stack use beyond the Python environment: Prometheus and Alertmanager (the
# stack's scraper and alert router; promtool and amtool check their files) and Chromium (the dashboard's
# browser test). Installed when missing and possible (root with apt-get); otherwise says the one command to run and goes on: the tests
# that need a missing program are skipped with the reason in pytest's summary. Never fails the caller.
set -uo pipefail
declare -A needed=([promtool]=prometheus [prometheus]=prometheus [prometheus-alertmanager]=prometheus-alertmanager [amtool]=prometheus-alertmanager [chromium]=chromium)
missing=()
for program in "${!needed[@]}"; do
    command -v "$program" >/dev/null || missing+=("${needed[$program]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
install="apt-get install -y ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's ${missing[*]} (tests and stack use them)"
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null); then
        exit 0
    fi
    echo "warning: could not install ${missing[*]}; the tests that need them are skipped"
elif command -v apt-get >/dev/null; then
    echo "note: ${missing[*]} not installed; the tests that need them are skipped. Install once: sudo $install"
else
    echo "note: ${missing[*]} not installed (no apt-get here); the tests that need them are skipped"
fi
exit 0
