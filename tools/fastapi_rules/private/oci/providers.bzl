"""Providers shared by the OCI rules."""

OciLayersInfo = provider(
    doc = """Layer tarballs whose digest, size and diff ID were recorded as they were written.

oci_image reads those descriptors instead of hashing each layer again, so assembling an
image costs what changed. Tarballs from other rules work too: they are hashed.""",
    fields = {
        "descriptors": "dict: each layer tarball (File) to its descriptor JSON (File).",
    },
)
