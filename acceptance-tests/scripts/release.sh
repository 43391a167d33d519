#!/usr/bin/env bash
# Packages the provider for the Terraform registry (or a packed filesystem mirror).
#
#   acceptance-tests/scripts/release.sh [version]
#
# Writes into dist/ (or $DIST_DIR), with HashiCorp's release naming:
#   terraform-provider-apigw_<version>_<os>_<arch>.zip   the binary, named terraform-provider-apigw_v<version>
#   terraform-provider-apigw_<version>_manifest.json     terraform-registry-manifest.json (protocol 6.0)
#   terraform-provider-apigw_<version>_SHA256SUMS        sums of every zip of that version, and the manifest
#   terraform-provider-apigw_<version>_SHA256SUMS.sig    only when GPG_FINGERPRINT is set (the registry needs it)
#
# version         defaults to the version in Cargo.toml; a leading "v" is dropped.
# RELEASE_BINARY  an already-built binary to package instead of running
#                 `cargo build --release --bin terraform-provider-apigw`.
# RELEASE_OS, RELEASE_ARCH  the target platform in Terraform's terms (linux, darwin, windows;
#                 amd64, arm64); default: this machine. Set both when RELEASE_BINARY is a
#                 cross-compiled binary. Run once per platform into the same dist/: the sums
#                 cover every platform's zip.
# SOURCE_DATE_EPOCH  timestamp of the zip entries (default 1980-01-01), for reproducible zips.
set -euo pipefail

NAME="terraform-provider-apigw"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
DIST_DIR="${DIST_DIR:-${REPO_ROOT}/dist}"

die() {
  echo "release.sh: $*" >&2
  exit 1
}

cargo_version() {
  # The first `version = "..."` of the [package] table of the root Cargo.toml.
  awk '
    /^\[/ { in_package = ($0 == "[package]") }
    in_package && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
  ' "${REPO_ROOT}/Cargo.toml"
}

version="${1:-$(cargo_version)}"
version="${version#v}"
[[ -n "${version}" ]] || die "no version given and none found in Cargo.toml"
[[ "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] \
  || die "version ${version} is not semantic (MAJOR.MINOR.PATCH[-PRERELEASE])"

case "${RELEASE_OS:-$(uname -s)}" in
  Linux | linux) os=linux ;;
  Darwin | darwin) os=darwin ;;
  FreeBSD | freebsd) os=freebsd ;;
  windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) die "unsupported OS ${RELEASE_OS:-$(uname -s)}; set RELEASE_OS" ;;
esac
case "${RELEASE_ARCH:-$(uname -m)}" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  i386 | i686 | 386) arch=386 ;;
  armv7l | arm) arch=arm ;;
  *) die "unsupported architecture ${RELEASE_ARCH:-$(uname -m)}; set RELEASE_ARCH" ;;
esac

if [[ -n "${RELEASE_BINARY:-}" ]]; then
  binary="${RELEASE_BINARY}"
else
  echo "building ${NAME} (release)" >&2
  (cd "${REPO_ROOT}" && cargo build --release --locked --bin "${NAME}" >&2)
  binary="${CARGO_TARGET_DIR:-${REPO_ROOT}/target}/release/${NAME}"
  [[ "${binary}" = /* ]] || binary="${REPO_ROOT}/${binary}"
fi
[[ -f "${binary}" && -x "${binary}" ]] || die "no executable at ${binary}"

# A binary for this machine says its version; a mismatch means the wrong build.
if [[ "${os}_${arch}" == "$(uname -s | tr '[:upper:]' '[:lower:]')_$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')" ]]; then
  reported="$("${binary}" --version 2>/dev/null | awk '{ print $2 }')" || true
  if [[ -n "${reported}" && "${reported}" != "${version%%-*}" && "${reported}" != "${version}" ]]; then
    die "${binary} reports version ${reported}, not ${version}; bump Cargo.toml or pass the matching version"
  fi
fi

exe="${NAME}_v${version}"
[[ "${os}" == windows ]] && exe="${exe}.exe"
zip_name="${NAME}_${version}_${os}_${arch}.zip"
manifest_name="${NAME}_${version}_manifest.json"
sums_name="${NAME}_${version}_SHA256SUMS"

mkdir -p "${DIST_DIR}"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to write the zip"

python3 - "${binary}" "${exe}" "${DIST_DIR}/${zip_name}" <<'PY'
import os, sys, time, zipfile
src, name, dest = sys.argv[1:4]
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
stamp = time.gmtime(max(epoch, 315532800))[:6]
info = zipfile.ZipInfo(name, date_time=stamp)
info.compress_type = zipfile.ZIP_DEFLATED
info.create_system = 3  # Unix, so the mode below is honoured
info.external_attr = (0o100755 & 0xFFFF) << 16  # regular file, rwxr-xr-x
tmp = dest + ".tmp"
with open(src, "rb") as f, zipfile.ZipFile(tmp, "w") as z:
    z.writestr(info, f.read())
os.replace(tmp, dest)
PY

manifest_src="${REPO_ROOT}/terraform-registry-manifest.json"
if [[ -f "${manifest_src}" ]]; then
  cp "${manifest_src}" "${DIST_DIR}/${manifest_name}"
else
  printf '{\n  "version": 1,\n  "metadata": {\n    "protocol_versions": ["6.0"]\n  }\n}\n' >"${DIST_DIR}/${manifest_name}"
fi

# The sums cover every zip of this version in dist/ (other platforms' runs too) and the manifest.
(
  cd "${DIST_DIR}"
  shopt -s nullglob
  files=("${NAME}_${version}"_*.zip "${manifest_name}")
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "${files[@]}"
  else
    shasum -a 256 "${files[@]}"
  fi >"${sums_name}.tmp"
  mv "${sums_name}.tmp" "${sums_name}"
)

if [[ -n "${GPG_FINGERPRINT:-}" ]]; then
  gpg --batch --yes --local-user "${GPG_FINGERPRINT}" --detach-sign \
    --output "${DIST_DIR}/${sums_name}.sig" "${DIST_DIR}/${sums_name}"
fi

echo "${DIST_DIR}/${zip_name}"
echo "${DIST_DIR}/${manifest_name}"
echo "${DIST_DIR}/${sums_name}"
