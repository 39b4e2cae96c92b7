#!/bin/sh
# Micro benchmark of the LMDB record formats (docs/PERFORMANCE.md, "Record
# encoding"): compiles scripts/bench-record-codec/main.swift with the model
# and codec sources into one optimized module, without the package's other
# dependencies, and runs it. Usage: scripts/bench-record-codec.sh [iterations]
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/conduit-bench-codec-XXXXXX)
trap 'rm -rf "$work"' EXIT
for file in \
    Sources/ConduitCore/Model/Delivery.swift Sources/ConduitCore/Model/SpooledMessage.swift Sources/ConduitCore/Model/DeliveryLog.swift \
    Sources/ConduitStore/StoreError.swift Sources/ConduitStore/RecordCodec.swift \
    Sources/ConduitStore/Codec/BinaryRecord.swift Sources/ConduitStore/Codec/RecordWriter.swift \
    Sources/ConduitStore/Codec/RecordReader.swift Sources/ConduitStore/Records/SpoolLayouts.swift
do
    # One module: the cross-module imports go.
    sed -e '/^public import ConduitCore/d' -e '/^import ConduitCore/d' "$repo/$file" > "$work/$(basename "$file")"
done
cat > "$work/Conformances.swift" <<'SWIFT'
extension Delivery: BinaryRecord {}
extension SpooledMessage: BinaryRecord {}
extension DeliveryLog: BinaryRecord {}
SWIFT
cp "$repo/scripts/bench-record-codec/main.swift" "$work/main.swift"
swiftc -O -wmo -module-name ConduitStoreBench -o "$work/bench" "$work"/*.swift
"$work/bench" "$@"
