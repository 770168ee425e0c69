#!/usr/bin/env bash
# Installs what Ordinaut needs to build (and with --tests, to test), from the system's packages.
# Debian 12 / Ubuntu 24.04: installs with apt-get. Elsewhere: prints what to install.
set -euo pipefail

DEBIAN_PACKAGES=(
    # toolchain
    build-essential cmake ninja-build ccache pkg-config clang-format git
    # Qt 6: Core/Network/Sql/Concurrent (engine), HttpServer (API), Widgets (desktop), Test
    qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev qt6-tools-dev
    qt6-l10n-tools libqt6sql6-sqlite libsqlite3-dev libgl-dev
    # secrets in the OS keychain, RFC 5545 recurrences, JSON
    qtkeychain-qt6-dev libical-dev nlohmann-json3-dev
    # JSON Schema validation of tool input and output; SMTP for email.send
    libvalijson-dev libcurl4-openssl-dev
    # a faster allocator for the executables (tcmalloc)
    libgoogle-perftools-dev
    # the API's access tokens (JWT, HS256) and agents' secret hashes (scrypt, OpenSSL)
    libjwt-dev libssl-dev
    # structured logs: rotating files and the console, text or JSON lines
    libspdlog-dev
)
# What only the tests need (`install-deps.sh --tests`, as `bootstrap.sh test` runs it): a real SMTP
# sink; promtool (from prometheus, whose server the tests never start) to check a real /metrics
# scrape, lint included; npm, which installs Node 22 and the test tools into build/npm
# (install-test-tools.sh) — a Node from elsewhere that brings its own npm is used as it is.
if [ "${1:-}" = "--tests" ]; then
    DEBIAN_PACKAGES+=(python3 python3-aiosmtpd prometheus)
    command -v npm >/dev/null || DEBIAN_PACKAGES+=(npm)
fi

if [ -r /etc/os-release ] && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "Run as root or install sudo." >&2; exit 1; }
        SUDO="sudo"
    fi
    missing=()
    for package in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "All build dependencies are installed."
        exit 0
    fi
    echo "Installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
    exit 0
fi

cat <<'MSG'
This script installs packages on Debian and Ubuntu only. On other systems install:

  macOS (Homebrew):
    brew install cmake ninja ccache pkg-config clang-format qt qtkeychain libical nlohmann-json valijson curl sqlite gperftools libjwt openssl spdlog

  Windows (vcpkg, with Visual Studio 2022 and CMake):
    vcpkg install qtbase qthttpserver qtwebsockets qttools qtkeychain-qt6 libical nlohmann-json valijson curl sqlite3 libjwt openssl spdlog
    then configure with -DCMAKE_TOOLCHAIN_FILE=<vcpkg>/scripts/buildsystems/vcpkg.cmake

  Fedora (dnf):
    dnf install cmake ninja-build ccache gcc-c++ qt6-qtbase-devel qt6-qthttpserver-devel \
        qt6-qtwebsockets-devel qt6-qttools-devel qtkeychain-qt6-devel libical-devel json-devel \
        valijson-devel libcurl-devel sqlite-devel gperftools-devel libjwt-devel openssl-devel \
        spdlog-devel
MSG
exit 1
