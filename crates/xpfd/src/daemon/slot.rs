// SPDX-License-Identifier: Apache-2.0
//! Which A/B root slot the appliance booted from.
//!
//! The image's partition table is fixed (image/mkosi.repart): 1 ESP,
//! 2 root A, 3 verity A, 4 root B, 5 verity B, 6 /var. The root is a
//! dm-verity device whose backing partitions sysfs lists as its slaves.

use std::path::Path;

/// The booted slot, or `None` off an xpf image (a lab, a container).
pub fn booted() -> Option<char> {
    let dev = root_device(&std::fs::read_to_string("/proc/self/mountinfo").ok()?)?;
    let slaves = Path::new("/sys/dev/block").join(&dev).join("slaves");
    let numbers = std::fs::read_dir(slaves)
        .ok()?
        .filter_map(|e| {
            let p = e.ok()?.path().join("partition");
            std::fs::read_to_string(p).ok()?.trim().parse().ok()
        })
        .collect::<Vec<u32>>();
    from_partitions(&numbers)
}

/// `major:minor` of the file system mounted at `/`.
fn root_device(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(4) == Some(&"/")).then(|| f.get(2).map(|s| s.to_string()))?
    })
}

/// The slot whose data partition (the lower number) backs the root.
fn from_partitions(numbers: &[u32]) -> Option<char> {
    match numbers.iter().min()? {
        2 => Some('A'),
        4 => Some('B'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_mount_names_its_device() {
        let mi = "22 1 254:0 / / ro,relatime - erofs /dev/mapper/root ro\n\
                  23 22 253:6 / /var rw - ext4 /dev/vda6 rw\n";
        assert_eq!(root_device(mi).as_deref(), Some("254:0"));
    }

    #[test]
    fn partitions_map_to_slots() {
        assert_eq!(from_partitions(&[3, 2]), Some('A'));
        assert_eq!(from_partitions(&[5, 4]), Some('B'));
        assert_eq!(from_partitions(&[1]), None);
        assert_eq!(from_partitions(&[]), None);
    }
}
