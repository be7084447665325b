#!/usr/bin/env bash
# Emits an assembly file with a sorted table of (MethodTable address, readable type name) taken
# from an ILC-built image's symbol table: ILC names a type's MethodTable _ZTV<len><module>_<ns>_<type>.
# The runtime (Runtime/Internal/TypeNames.cs) binary-searches it to name types in panics.
# Usage: typenames.sh IMAGE APPNAME > typenames.S
set -euo pipefail
image="$1"; app="$2"
nm "$image" | awk -v app="$app" '
    $2 ~ /^[dDrRbB]$/ && $3 ~ /^_ZTV[0-9]+/ {
        name = $3
        sub(/^_ZTV[0-9]+/, "", name)
        sub(/^S_P_CoreLib_/, "", name)
        sub(/^ParaKit_Kernel_ParaKit_/, "ParaKit_", name)
        sub("^" app "_", "", name)
        array = 0
        if (name ~ /^__Array</) { sub(/^__Array</, "", name); sub(/>$/, "", name); array = 1 }
        gsub(/S_P_CoreLib_/, "", name)
        gsub(/ParaKit_Kernel_ParaKit_/, "ParaKit_", name)
        gsub(/_/, ".", name)
        gsub(/\.[0-9]+</, "<", name)
        if (array) name = name "[]"
        gsub(/"/, "", name)
        print $1, name
    }' | sort -u -k1,1 > "$image.typenames"
count=$(wc -l < "$image.typenames")
echo '        .section .parakit.typenames,"aw"'
echo '        .balign 8'
echo '        .globl __parakit_type_names'
echo '__parakit_type_names:'
echo "        .quad $count"
awk '{ printf "        .quad 0x%s, .Lname%d\n", $1, NR }' "$image.typenames"
awk '{ n = $0; sub(/^[^ ]+ /, "", n); printf ".Lname%d: .asciz \"%s\"\n", NR, n }' "$image.typenames"
echo '        .section .note.GNU-stack,"",@progbits'
