// SPDX-License-Identifier: Apache-2.0
//! The image's partition table (`image/mkosi.repart`) and the one the box
//! grows on first boot (`rootfs/usr/lib/repart.d`) describe the same disk:
//! systemd-repart pairs partitions with files in name order, so the two
//! directories must have the same file names and partition types.

use std::collections::BTreeMap;
use std::path::Path;

/// File name → `Type=` of each `.conf` in `dir`.
fn layout(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("conf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let kind = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Type="))
            .unwrap_or_else(|| panic!("{}: no Type=", path.display()));
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        out.insert(name, kind.to_string());
    }
    out
}

#[test]
fn on_device_partitions_are_numbered_as_the_image_numbers_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let image = layout(&root.join("image/mkosi.repart"));
    let device = layout(&root.join("rootfs/usr/lib/repart.d"));
    assert_eq!(image, device);
}
