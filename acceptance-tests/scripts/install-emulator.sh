#!/usr/bin/env bash
# Installs the pinned moto server (local AWS emulator) and the pinned DuckDB (the query engine
# of acceptance-tests/scripts/query_logs.py) into <repo root>/.venv.
# Idempotent: exits fast if the pinned versions are already installed. Prints moto_server's path.
set -euo pipefail

MOTO_VERSION="5.2.5"
DUCKDB_VERSION="2.0.0"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
VENV_DIR="${REPO_ROOT}/.venv"
MOTO_SERVER="${VENV_DIR}/bin/moto_server"

installed_version() {
  "${VENV_DIR}/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p' || true
}

if [[ -x "${MOTO_SERVER}" ]] \
  && [[ "$(installed_version moto)" == "${MOTO_VERSION}" ]] \
  && [[ "$(installed_version duckdb)" == "${DUCKDB_VERSION}" ]]; then
  echo "${MOTO_SERVER}"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "error: python3 not found on PATH; install Python 3 (with the venv module) to run the AWS emulator" >&2
  exit 1
fi

if [[ ! -x "${VENV_DIR}/bin/python" ]]; then
  echo "creating venv at ${VENV_DIR}" >&2
  python3 -m venv "${VENV_DIR}"
fi

echo "installing moto[server]==${MOTO_VERSION} and duckdb==${DUCKDB_VERSION} into ${VENV_DIR}" >&2
if ! "${VENV_DIR}/bin/python" -m pip install --quiet --disable-pip-version-check \
  "moto[server]==${MOTO_VERSION}" "duckdb==${DUCKDB_VERSION}"; then
  echo "error: pip could not install moto[server]==${MOTO_VERSION} and duckdb==${DUCKDB_VERSION} from PyPI into ${VENV_DIR}" >&2
  exit 1
fi

if [[ ! -x "${MOTO_SERVER}" ]]; then
  echo "error: ${MOTO_SERVER} missing after install" >&2
  exit 1
fi
if ! "${VENV_DIR}/bin/python" -c "import duckdb" 2>/dev/null; then
  echo "error: duckdb does not import in ${VENV_DIR} after install" >&2
  exit 1
fi

echo "${MOTO_SERVER}"
