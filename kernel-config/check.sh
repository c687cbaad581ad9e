#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Usage: check.sh <kernel .config> [wanted list, default xpf.config beside this]
# Fails, naming each option, when the kernel lacks one xpf needs.
set -eu
config=$1
wanted=${2:-$(dirname "$0")/xpf.config}
[ -r "$config" ] || { echo "kernel-config: cannot read $config" >&2; exit 2; }
missing=0
for opt in $(grep -o '^CONFIG_[A-Z0-9_]*' "$wanted"); do
    if ! grep -Eq "^$opt=(y|m)$" "$config"; then
        echo "kernel-config: $config lacks $opt (needed by xpf, see kernel-config/xpf.config)" >&2
        missing=$((missing + 1))
    fi
done
[ "$missing" -eq 0 ] || exit 1
echo "kernel-config: $(basename "$config") has all $(grep -c '^CONFIG_' "$wanted") options xpf needs"
