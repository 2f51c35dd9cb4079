// The model file: its identity (name, version, sha256) as the twin reports it. The name
// and version are in the ONNX file (ModelProto's metadata_props "name" and model_version);
// onnxruntime-node does not expose them, so the few fields needed are read here from the
// protobuf encoding.
import { createHash } from "node:crypto";
import { basename, extname } from "node:path";

// Fields of onnx.ModelProto, and of StringStringEntryProto in metadata_props.
const MODEL_VERSION = 5;
const METADATA_PROPS = 14;
const KEY = 1;
const VALUE = 2;

function varint(bytes, position) {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (position >= bytes.length) throw new Error("truncated protobuf varint");
    const byte = bytes[position];
    position += 1;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, position };
    shift += 7n;
  }
}

/** The top-level fields of a protobuf message: [{ field, value (bigint) | bytes }]. */
function fields(bytes) {
  const found = [];
  let position = 0;
  while (position < bytes.length) {
    const tag = varint(bytes, position);
    position = tag.position;
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (wire === 0) {
      const { value, position: next } = varint(bytes, position);
      found.push({ field, value });
      position = next;
    } else if (wire === 2) {
      const length = varint(bytes, position);
      const end = length.position + Number(length.value);
      found.push({ field, bytes: bytes.subarray(length.position, end) });
      position = end;
    } else if (wire === 1) {
      position += 8;
    } else if (wire === 5) {
      position += 4;
    } else {
      throw new Error(`unexpected protobuf wire type ${wire}`);
    }
  }
  return found;
}

/**
 * What the twin's /v1/models says of a model file: its name (metadata "name", else the file
 * name without extension), version (model_version) and sha256.
 *
 * @param {Buffer} content the ONNX file
 * @param {string} path where it was read from
 */
export function describeModel(content, path) {
  let version = 0n;
  const metadata = new Map();
  for (const entry of fields(content)) {
    if (entry.field === MODEL_VERSION && entry.value !== undefined) {
      version = entry.value;
    } else if (entry.field === METADATA_PROPS && entry.bytes !== undefined) {
      const pair = Object.fromEntries(fields(entry.bytes).map((f) => [f.field, f.bytes?.toString("utf8")]));
      metadata.set(pair[KEY] ?? "", pair[VALUE] ?? "");
    }
  }
  return {
    name: metadata.get("name") ?? basename(path, extname(path)),
    version: String(version),
    sha256: createHash("sha256").update(content).digest("hex"),
  };
}
