"""Helpers shared by the OCI rules."""

def label_text(label):
    """A label as users write it: `//pkg:name`, or `@repo//pkg:name` outside the main repository."""
    return "{}//{}:{}".format("@" + label.workspace_name if label.workspace_name else "", label.package, label.name)
