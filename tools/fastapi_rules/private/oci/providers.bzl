"""Providers shared by the OCI rules."""

OciLayersInfo = provider(
    doc = """Layer tarballs whose digest, size and diff ID were recorded as they were written.

oci_image reads those descriptors instead of hashing each layer again, and the library
check's summaries instead of reading each layer again, so assembling and checking an image
costs what changed. Tarballs from other rules work too: they are hashed and read.""",
    fields = {
        "descriptors": "dict: each layer tarball (File) to its descriptor JSON (File).",
        "summaries": "dict: each layer tarball (File) to its library check summary (File).",
    },
)
