#!/usr/bin/env bash
# Installs the Debian packages Spool's test suite needs (real peers, not mocks) when they are missing.
# Safe to run repeatedly: it only calls apt-get when a binary is absent.
set -euo pipefail
need=()
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${SPOOL_TEST_SAMBA:-1}" != "0" ]; then
  command -v samba >/dev/null 2>&1 || [ -x /usr/sbin/samba ] || need+=(samba-ad-dc)
  # The AD schema files samba-tool provisions from are only "recommended" by samba-ad-dc.
  [ -d /usr/share/samba/setup/ad-schema ] || need+=(samba-ad-provision)
fi
if [ "${SPOOL_TEST_PG:-1}" != "0" ] && ! command -v pg_ctlcluster >/dev/null 2>&1 && ! [ -n "${SPOOL_TEST_DATABASE_URL:-}" ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then need+=(postgresql); fi
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "ensure-system-deps: installing ${need[*]}" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# slapd's and samba's maintainer scripts would start system daemons; the tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT; fi
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
