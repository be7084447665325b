#!/usr/bin/env bash
# Builds the hand-written assembly test guests: tests/guests/NAME.S -> out/tests/guests/NAME.elf
# (static ELF64, linked at 0x100000, symbols kept). With no arguments, builds every guest.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/out/tests/guests"
mkdir -p "$out"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$here"/*.S; do names+=("$(basename "$f" .S)"); done
fi
for n in "${names[@]}"; do
  src="$here/$n.S"
  [ -f "$src" ] || { echo "no such test guest: $src" >&2; exit 1; }
  if [ ! -f "$out/$n.elf" ] || [ "$src" -nt "$out/$n.elf" ] || [ "$here/common.inc" -nt "$out/$n.elf" ] || [ "$here/guest.ld" -nt "$out/$n.elf" ]; then
    gcc -c -x assembler-with-cpp -I"$here" -o "$out/$n.o" "$src"
    ld -static -nostdlib -no-pie -T "$here/guest.ld" -o "$out/$n.elf" "$out/$n.o"
    rm -f "$out/$n.o"
  fi
done
