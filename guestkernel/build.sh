#!/usr/bin/env bash
# Builds one unikernel image: guestkernel/Apps/NAME/*.cs + kernel library + protocols + runtime
# -> out/guests/NAME.elf. Usage: guestkernel/build.sh NAME
#
# Steps (each cached under out/guestkernel/ and redone only when its inputs changed):
#   1. csc: Runtime/**/*.cs -> System.Private.CoreLib.dll (our own core library)
#   2. csc: Kernel/**/*.cs + Drivers/**/*.cs + Net/**/*.cs + protocols/**/*.cs -> ParaKit.Kernel.dll
#   3. as:  Runtime/Native/*.S -> runtime.o
#   4. csc: Apps/NAME/*.cs -> NAME.dll (an exe: its Main is the guest's entry)
#   5. ilc: all three assemblies -> NAME.o (freestanding native code, no .NET runtime)
#   6. ld twice: the second link adds a table of type names (for panic messages) taken
#      from the first link's symbol table; nothing else moves between the two links.
# Compiler errors are printed as csc/ilc/ld report them (file and line first).
# GUEST_APP_DIR=/some/dir builds the app from that folder instead of guestkernel/Apps/NAME
# (out-of-tree apps; the tests use it). DEBUG=1 keeps line tables of the app's C# (csc
# -debug:portable, ilc -g): crash reports then name file:line; the tables are not loaded, so
# the guest's memory image stays the same. Builds are serialized with a lock on out/guestkernel.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: guestkernel/build.sh NAME   (builds guestkernel/Apps/NAME into out/guests/NAME.elf)" >&2
    exit 2
fi
APP="$1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GK="$ROOT/guestkernel"
APPDIR="${GUEST_APP_DIR:-$GK/Apps/$APP}"
CACHE="$ROOT/out/guestkernel"
IMAGES="$ROOT/out/guests"
case "$APP" in
    */*|.*) echo "error: app name '$APP' must be a plain name (a folder under guestkernel/Apps)" >&2; exit 2 ;;
esac
if [ ! -d "$APPDIR" ] || ! ls "$APPDIR"/*.cs >/dev/null 2>&1; then
    echo "error: no guest app named '$APP' (expected C# files in ${APPDIR#$ROOT/}/)" >&2
    exit 2
fi
mkdir -p "$CACHE" "$IMAGES"
# One build at a time: parallel `make` jobs and test fixtures share the cached runtime.
exec 9>"$CACHE/.lock"
flock 9
mkdir -p "$CACHE/apps/$APP"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- tools -------------------------------------------------------------------------------
# csc from the newest installed SDK's Roslyn folder.
SDKLINE="$(dotnet --list-sdks | tail -n 1)"
SDKVER="${SDKLINE%% *}"
SDKDIR="${SDKLINE#*[}"; SDKDIR="${SDKDIR%]}"
CSC_DLL="$SDKDIR/$SDKVER/Roslyn/bincore/csc.dll"
[ -f "$CSC_DLL" ] || { echo "error: csc not found at $CSC_DLL" >&2; exit 1; }
csc() { dotnet "$CSC_DLL" -nologo -noconfig -nostdlib -unsafe -langversion:latest -nullable:enable \
            -warnaserror -runtimemetadataversion:v4.0.30319 -optimize+ -deterministic "$@"; }

# ILC: restored once by Toolchain/IlcLocator.csproj at the version this SDK's PublishAot uses.
ILC_PATH_FILE="$CACHE/ilc-path.$SDKVER"
if [ ! -s "$ILC_PATH_FILE" ] || [ ! -x "$(cat "$ILC_PATH_FILE")/tools/ilc" ]; then
    echo "  restoring the ILCompiler package (once)" >&2
    dotnet msbuild "$GK/Toolchain/IlcLocator.csproj" -restore -t:WriteIlcPath \
        -p:IlcPathFile="$ILC_PATH_FILE" -nologo -v:q >/dev/null
fi
ILC="$(cat "$ILC_PATH_FILE")/tools/ilc"

# newer TARGET SOURCES...: true if TARGET is missing or older than any source.
stale() {
    local target="$1"; shift
    [ ! -e "$target" ] && return 0
    [ -n "$(find "$@" -newer "$target" -print -quit 2>/dev/null)" ]
}

# --- 1-3: runtime, kernel, assembly (shared by every app) --------------------------------
CORELIB="$CACHE/System.Private.CoreLib.dll"
KERNEL="$CACHE/ParaKit.Kernel.dll"
NATIVE="$CACHE/runtime.o"
if stale "$CORELIB" "$GK/Runtime" "$GK/build.sh"; then
    echo "  csc  runtime" >&2
    # The runtime describes memory ILC lays out (fields never assigned from C#: CS0649/CS0169),
    # and takes addresses of objects on purpose (CS8500).
    (cd "$GK" && csc -target:library -nowarn:CS0649,CS0169,CS8500,CS8629,CS1718 \
        -out:"$CORELIB" $(cd "$GK" && find Runtime -name '*.cs' | sort))
fi
if stale "$KERNEL" "$GK/Kernel" "$GK/Drivers" "$GK/Net" "$ROOT/protocols" "$CORELIB"; then
    echo "  csc  kernel + drivers + protocols" >&2
    (cd "$ROOT" && csc -target:library -r:"$CORELIB" -out:"$KERNEL" \
        $(find guestkernel/Kernel guestkernel/Drivers guestkernel/Net protocols -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' | sort))
fi
if stale "$NATIVE" "$GK/Runtime/Native"; then
    echo "  as   runtime.S" >&2
    as --64 -o "$NATIVE" "$GK"/Runtime/Native/*.S
fi

# --- 4-6: the app ------------------------------------------------------------------------
WORK="$CACHE/apps/$APP"
APPDLL="$WORK/$APP.dll"
DEBUGFLAGS_CSC=(-debug-)
DEBUGFLAGS_ILC=()
if [ "${DEBUG:-0}" = 1 ]; then
    DEBUGFLAGS_CSC=(-debug:portable -pdb:"$WORK/$APP.pdb")
    DEBUGFLAGS_ILC=(-g)
fi
rm -f "$WORK/$APP.pdb"
echo "  csc  $APP" >&2
(cd "$ROOT" && csc -target:exe -r:"$CORELIB" -r:"$KERNEL" -out:"$APPDLL" "${DEBUGFLAGS_CSC[@]}" \
    $(find "$APPDIR" -name '*.cs' | sort | sed "s|^$ROOT/||"))

echo "  ilc  $APP" >&2
"$ILC" "$APPDLL" "$CORELIB" "$KERNEL" -o:"$WORK/$APP.o" \
    --systemmodule:System.Private.CoreLib --targetos:linux --targetarch:x64 -O \
    --generateunmanagedentrypoints:ParaKit.Kernel --reflectiondata:none --noinlinetls \
    --map:"$WORK/$APP.map.xml" "${DEBUGFLAGS_ILC[@]}" || {
    echo "error: ilc could not compile $APP: it uses something the guest runtime does not provide" >&2
    echo "       (see 'What does not compile' in guestkernel/README.md)" >&2
    exit 1
}

echo "  ld   $APP" >&2
LDS="$GK/Toolchain/guest.ld"
ld -static -nostdlib -no-pie -T "$LDS" -o "$WORK/$APP.pass1.elf" "$WORK/$APP.o" "$NATIVE"
"$GK/Toolchain/typenames.sh" "$WORK/$APP.pass1.elf" "$APP" > "$WORK/typenames.S"
as --64 -o "$WORK/typenames.o" "$WORK/typenames.S"
ld -static -nostdlib -no-pie -T "$LDS" -o "$WORK/$APP.elf" "$WORK/$APP.o" "$NATIVE" "$WORK/typenames.o"
mv "$WORK/$APP.elf" "$IMAGES/$APP.elf"
echo "  -> out/guests/$APP.elf ($(stat -c %s "$IMAGES/$APP.elf") bytes)" >&2
