#!/usr/bin/env python3
"""Packages meshroute_filter.wasm as an OCI image Istio's WasmPlugin can pull, without Docker.

The image is the "compat" Wasm image variant Istio's fetcher accepts: one
`application/vnd.oci.image.layer.v1.tar+gzip` layer holding `plugin.wasm` at the root, and the
manifest annotation `module.wasm.image/variant=compat`. It is written as an OCI image layout
directory (and, with --tar, as a tarball of that directory), ready for `crane push`,
`skopeo copy oci:` or `oras cp --from-oci-layout`.

Every byte is fixed by the module's bytes alone: tar and gzip headers carry a fixed mtime
(SOURCE_DATE_EPOCH, default 0), owner 0:0 and no names, and JSON is written with sorted keys.
So the same module gives the same manifest digest on every run of the same Python (zlib's
output may differ between zlib versions). That digest is what WasmPlugin's `sha256` compares.

    oci-image.py build MODULE --out DIR [--tag TAG] [--tar FILE]
    oci-image.py verify DIR [--module MODULE]

Python 3.11 standard library only.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
VARIANT_ANNOTATION = "module.wasm.image/variant"
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"
# The file name Istio looks for in the layer (solo-io/wasm spec-compat).
PLUGIN_NAME = "plugin.wasm"
WASM_MAGIC = b"\0asm"


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type, data, annotations=None):
    out = {"mediaType": media_type, "digest": sha256(data), "size": len(data)}
    if annotations:
        out["annotations"] = annotations
    return out


def source_date_epoch():
    value = os.environ.get("SOURCE_DATE_EPOCH", "0")
    try:
        return int(value)
    except ValueError:
        sys.exit(f"oci-image: SOURCE_DATE_EPOCH `{value}` is not an integer")


def tar_bytes(members, mtime):
    """A ustar archive of (name, bytes) pairs with fixed metadata, in the given order; a pair
    whose bytes are None is a directory."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                archive.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def image_blobs(module, tag, mtime):
    """The layer, config and manifest blobs and the index for one module."""
    layer_tar = tar_bytes([(PLUGIN_NAME, module)], mtime)
    # gzip.compress writes no file name; mtime is fixed so the header is too.
    layer = gzip.compress(layer_tar, compresslevel=9, mtime=mtime)
    # A valid image config, so that registries and tools treat it as an image. Go's names for
    # the platform a WASI module targets.
    config = canonical_json(
        {
            "architecture": "wasm",
            "os": "wasip1",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha256(layer_tar)]},
        }
    )
    manifest = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": descriptor(CONFIG_TYPE, config),
            "layers": [descriptor(LAYER_TYPE, layer)],
            "annotations": {VARIANT_ANNOTATION: "compat"},
        }
    )
    index = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": INDEX_TYPE,
            "manifests": [descriptor(MANIFEST_TYPE, manifest, {REF_NAME_ANNOTATION: tag})],
        }
    )
    return [layer, config, manifest], index


def write_layout(out, blobs, index):
    """Writes the layout into `out`, replacing a previous layout there but nothing else."""
    if out.exists():
        if not (out / "oci-layout").is_file():
            if any(out.iterdir()):
                sys.exit(f"oci-image: {out} exists and is not an OCI image layout; not touching it")
        else:
            shutil.rmtree(out / "blobs", ignore_errors=True)
    blob_dir = out / "blobs" / "sha256"
    blob_dir.mkdir(parents=True, exist_ok=True)
    for blob in blobs:
        (blob_dir / hashlib.sha256(blob).hexdigest()).write_bytes(blob)
    (out / "oci-layout").write_bytes(canonical_json(LAYOUT_VERSION))
    (out / "index.json").write_bytes(index)


def layout_members(blobs, index):
    """The entries of the layout as (path, bytes or None for a directory), in a fixed order."""
    members = [
        ("oci-layout", canonical_json(LAYOUT_VERSION)),
        ("index.json", index),
        ("blobs/", None),
        ("blobs/sha256/", None),
    ]
    for blob in sorted(blobs, key=lambda b: hashlib.sha256(b).hexdigest()):
        members.append((f"blobs/sha256/{hashlib.sha256(blob).hexdigest()}", blob))
    return members


def build(args):
    module = Path(args.module).read_bytes()
    if not module.startswith(WASM_MAGIC):
        sys.exit(f"oci-image: {args.module} is not a WebAssembly module")
    mtime = source_date_epoch()
    blobs, index = image_blobs(module, args.tag, mtime)
    out = Path(args.out)
    write_layout(out, blobs, index)
    if args.tar:
        Path(args.tar).write_bytes(tar_bytes(layout_members(blobs, index), mtime))
    manifest_digest = sha256(blobs[2])
    print(f"wrote OCI image layout {out} (tag {args.tag})" + (f" and {args.tar}" if args.tar else ""))
    print(f"manifest {manifest_digest}  ({len(blobs[2])} bytes)")
    print(f"layer    {sha256(blobs[0])}  ({len(blobs[0])} bytes, {PLUGIN_NAME} {len(module)} bytes)")
    print(f"WasmPlugin sha256: {manifest_digest.removeprefix('sha256:')}")


def verify(args):
    """Checks a layout: every digest and size matches its blob, one compat image, plugin.wasm."""
    root = Path(args.layout)
    problems = []

    def blob(desc):
        algorithm, _, hexdigest = desc["digest"].partition(":")
        path = root / "blobs" / algorithm / hexdigest
        if not path.is_file():
            problems.append(f"missing blob {desc['digest']}")
            return None
        data = path.read_bytes()
        if sha256(data) != desc["digest"] or len(data) != desc["size"]:
            problems.append(
                f"blob {desc['digest']} ({desc['size']} bytes) holds {len(data)} bytes with digest {sha256(data)}"
            )
            return None
        return data

    if not (root / "oci-layout").is_file():
        sys.exit(f"oci-image: {root} is not an OCI image layout (no oci-layout file)")
    if json.loads((root / "oci-layout").read_bytes()) != LAYOUT_VERSION:
        problems.append("oci-layout is not version 1.0.0")
    index = json.loads((root / "index.json").read_bytes())
    for entry in index["manifests"]:
        tag = entry.get("annotations", {}).get(REF_NAME_ANNOTATION, "(untagged)")
        manifest = json.loads(blob(entry) or b"{}")
        print(f"{tag}: manifest {entry['digest']} ({entry['size']} bytes)")
        if not manifest:
            continue
        if manifest.get("annotations", {}).get(VARIANT_ANNOTATION) != "compat":
            problems.append(f"{tag}: no `{VARIANT_ANNOTATION}: compat` annotation")
        config = json.loads(blob(manifest["config"]) or b"{}")
        print(f"  config {manifest['config']['digest']}: {config.get('os')}/{config.get('architecture')}")
        layers = manifest["layers"]
        if len(layers) != 1 or layers[0]["mediaType"] != LAYER_TYPE:
            problems.append(f"{tag}: expected exactly one {LAYER_TYPE} layer")
        layer = blob(layers[-1])
        if layer is None:
            continue
        layer_tar = gzip.decompress(layer)
        if config.get("rootfs", {}).get("diff_ids") != [sha256(layer_tar)]:
            problems.append(f"{tag}: config diff_ids do not match the uncompressed layer")
        with tarfile.open(fileobj=io.BytesIO(layer_tar)) as archive:
            print(f"  layer {layers[-1]['digest']}:")
            for member in archive.getmembers():
                print(f"    {member.mode:o} {member.uid}:{member.gid} {member.mtime} {member.size:>9} {member.name}")
            try:
                plugin = archive.extractfile(PLUGIN_NAME).read()
            except KeyError:
                problems.append(f"{tag}: the layer has no {PLUGIN_NAME}")
                continue
        if not plugin.startswith(WASM_MAGIC):
            problems.append(f"{tag}: {PLUGIN_NAME} is not a WebAssembly module")
        if args.module and plugin != Path(args.module).read_bytes():
            problems.append(f"{tag}: {PLUGIN_NAME} differs from {args.module}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("ok: digests and sizes match the blobs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write an OCI image layout for a module")
    build_parser.add_argument("module", help="the filter module, e.g. target/wasm32-wasip1/filter/meshroute_filter.wasm")
    build_parser.add_argument("--out", required=True, help="the OCI image layout directory to write")
    build_parser.add_argument("--tag", default="latest", help="the tag recorded in index.json (default: latest)")
    build_parser.add_argument("--tar", help="also write the layout as a tarball (for `oras cp` and `skopeo copy oci-archive:`)")
    build_parser.set_defaults(run=build)
    verify_parser = commands.add_parser("verify", help="check a layout's digests, sizes and layer")
    verify_parser.add_argument("layout", help="the OCI image layout directory")
    verify_parser.add_argument("--module", help="also check that plugin.wasm is exactly this file")
    verify_parser.set_defaults(run=verify)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
