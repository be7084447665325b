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
# Compiler errors are printed as csc/ilc/ld report them (file and line first), followed by a
# "note:" sentence when the error means the app uses something a guest cannot have (threads,
# async/await, LINQ, files, reflection, console input, generic virtual methods) and what to
# use instead. A failed build leaves no image behind: out/guests/NAME.elf is removed first
# and the new one renamed into place only when the link succeeded.
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
# No stale image: a failed build (of the app, the kernel or the runtime) must not leave last
# time's NAME.elf for `parakit run` to boot.
rm -f "$IMAGES/$APP.elf"
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

# explain LOG: one sentence per thing in csc's/ilc's errors that cannot work in a guest.
explain() {
    local log="$1" said=0
    note() { echo "note: $1" >&2; said=1; }
    if grep -qE "'(Thread|ThreadPool|Parallel|ThreadStart|Mutex|Semaphore|SemaphoreSlim)'" "$log"; then
        note "threads are not available in a ParaKit guest (one vCPU, no preemption): run work in turns from one loop, with Scheduler.Yield/Sleep and Events.WaitAndDispatch (see guestkernel/README.md, Event channels)"
    fi
    if grep -qE "'(Task|Tasks|ValueTask|TaskCompletionSource)'|GetAwaiter|CS4033|CS1983|CS1997|CS4009" "$log"; then
        note "async/await and Task are not available in a ParaKit guest (no thread pool, no scheduler for continuations): write a plain loop that blocks in Events.WaitAndDispatch() or Scheduler.Sleep(ns)"
    fi
    if grep -qE "'Linq'|definition for '(Where|Select|SelectMany|OrderBy|OrderByDescending|ThenBy|ToList|ToDictionary|ToHashSet|Any|All|First|FirstOrDefault|Last|LastOrDefault|Single|Sum|Average|Distinct|Skip|Take|GroupBy|Aggregate|Zip|Reverse|Count|Max|Min)'" "$log"; then
        note "LINQ (System.Linq) is not available in a ParaKit guest (its operators are generic virtual methods, which the guest runtime cannot call): write the foreach loop, or use List<T>.FindAll/Exists/Sort/ConvertAll, Array.Sort/IndexOf"
    fi
    if grep -qE "'IO'|'(File|Directory|Path|FileStream|StreamReader|StreamWriter|TextReader|TextWriter)'" "$log"; then
        note "files (System.IO) are not available in a ParaKit guest: it has no file system; take input from Main's args (parakit run IMAGE -- ARGS) or the XenStore (Store.Read)"
    fi
    if grep -qE "'(Reflection|Activator|Assembly|MethodInfo|PropertyInfo|FieldInfo|BindingFlags)'|definition for '(GetMethod|GetMethods|GetProperty|GetProperties|GetField|GetFields|GetCustomAttributes|GetCustomAttribute|GetInterfaces|MakeGenericType|IsAssignableFrom|FullName|Namespace)'" "$log"; then
        note "reflection is not available in a ParaKit guest beyond typeof(T), GetType(), Type.Name and == on types (the image carries no metadata): use interfaces, virtual methods or a switch over known types"
    fi
    if grep -qE "'Console' does not contain a definition for '(ReadLine|ReadKey|Read|In|KeyAvailable|Clear|SetCursorPosition|ForegroundColor)'" "$log"; then
        note "console input and terminal control are not available in a ParaKit guest: pass input on the command line (parakit run IMAGE -- ARGS, Main's args) or through the XenStore"
    fi
    if grep -qE "'dynamic'|RuntimeBinder" "$log"; then
        note "dynamic is not available in a ParaKit guest (no runtime binder): use static types, interfaces or pattern matching"
    fi
    if grep -qE "TypeLoaderExports|GenericVirtualMethod|GVM" "$log"; then
        note "a generic virtual method (a virtual, abstract or interface method with its own type parameters, e.g. 'abstract T Visit<T>(T x)', called through the base type) cannot be called in a ParaKit guest (no runtime type loader): move the type parameter to the class or interface (Visitor<T>), or write non-generic overloads"
    fi
    if [ $said -eq 0 ] && grep -qE "error CS(0117|1061|0234|0246)" "$log"; then
        note "if that is a .NET API, the guest's core library may not offer it: guestkernel/README.md lists what is supported (what is there behaves as .NET does)"
    fi
}

echo "  csc  $APP" >&2
# Apps see the BCL namespaces students expect without `using` lines (as an SDK project's
# ImplicitUsings), plus the kernel library.
cat > "$WORK/GlobalUsings.g.cs" <<'USINGS'
global using System;
global using System.Collections.Generic;
global using System.Text;
global using ParaKit.Kernel;
USINGS
if ! (cd "$ROOT" && csc -target:exe -r:"$CORELIB" -r:"$KERNEL" -out:"$APPDLL" "${DEBUGFLAGS_CSC[@]}" "$WORK/GlobalUsings.g.cs" \
        $(find "$APPDIR" -name '*.cs' | sort | sed "s|^$ROOT/||")) > "$WORK/csc.log" 2>&1; then
    cat "$WORK/csc.log"
    explain "$WORK/csc.log"
    exit 1
fi
cat "$WORK/csc.log"

echo "  ilc  $APP" >&2
"$ILC" "$APPDLL" "$CORELIB" "$KERNEL" -o:"$WORK/$APP.o" \
    --systemmodule:System.Private.CoreLib --targetos:linux --targetarch:x64 -O \
    --generateunmanagedentrypoints:ParaKit.Kernel --reflectiondata:none --noinlinetls \
    --map:"$WORK/$APP.map.xml" "${DEBUGFLAGS_ILC[@]}" > "$WORK/ilc.log" 2>&1 || {
    # ILC's exception names the method it could not compile; the first lines say which.
    grep -E "Code generation failed|Expected type|Expected method|error" "$WORK/ilc.log" | head -n 4 >&2 || true
    echo "error: ilc could not compile $APP: it uses something the guest runtime does not provide" >&2
    explain "$WORK/ilc.log"
    echo "       (see 'What does not compile' in guestkernel/README.md; the full ILC output is in ${WORK#$ROOT/}/ilc.log)" >&2
    exit 1
}
cat "$WORK/ilc.log"

echo "  ld   $APP" >&2
LDS="$GK/Toolchain/guest.ld"
ld -static -nostdlib -no-pie -T "$LDS" -o "$WORK/$APP.pass1.elf" "$WORK/$APP.o" "$NATIVE"
"$GK/Toolchain/typenames.sh" "$WORK/$APP.pass1.elf" "$APP" > "$WORK/typenames.S"
as --64 -o "$WORK/typenames.o" "$WORK/typenames.S"
ld -static -nostdlib -no-pie -T "$LDS" -o "$WORK/$APP.elf" "$WORK/$APP.o" "$NATIVE" "$WORK/typenames.o"
mv -f "$WORK/$APP.elf" "$IMAGES/$APP.elf"   # a rename: the image appears complete or not at all
echo "  -> out/guests/$APP.elf ($(stat -c %s "$IMAGES/$APP.elf") bytes)" >&2
