#!/usr/bin/env bash
# Installs the pinned moto server (local AWS emulator) into <repo root>/.venv.
# Idempotent: exits fast if the pinned version is already installed.
set -euo pipefail

MOTO_VERSION="5.2.5"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
VENV_DIR="${REPO_ROOT}/.venv"
MOTO_SERVER="${VENV_DIR}/bin/moto_server"

if [[ -x "${MOTO_SERVER}" ]]; then
  installed="$("${VENV_DIR}/bin/python" -m pip show moto 2>/dev/null | sed -n 's/^Version: //p' || true)"
  if [[ "${installed}" == "${MOTO_VERSION}" ]]; then
    echo "${MOTO_SERVER}"
    exit 0
  fi
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "error: python3 not found on PATH; install Python 3 (with the venv module) to run the AWS emulator" >&2
  exit 1
fi

if [[ ! -x "${VENV_DIR}/bin/python" ]]; then
  echo "creating venv at ${VENV_DIR}" >&2
  python3 -m venv "${VENV_DIR}"
fi

echo "installing moto[server]==${MOTO_VERSION} into ${VENV_DIR}" >&2
"${VENV_DIR}/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"

if [[ ! -x "${MOTO_SERVER}" ]]; then
  echo "error: ${MOTO_SERVER} missing after install" >&2
  exit 1
fi

echo "${MOTO_SERVER}"
