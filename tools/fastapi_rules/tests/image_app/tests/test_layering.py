"""A one-line change of first-party code changes only the last layer."""


def test_one_line_change_rebuilds_only_the_app_layer(image, image_v2):
    changed = image_v2
    layers = [d["digest"] for d in image.manifest()[0]["layers"]]
    changed_layers = [d["digest"] for d in changed.manifest()[0]["layers"]]
    assert layers[:2] == changed_layers[:2]
    assert layers[2] != changed_layers[2]
    assert image.config()["rootfs"]["diff_ids"][:2] == changed.config()["rootfs"]["diff_ids"][:2]
