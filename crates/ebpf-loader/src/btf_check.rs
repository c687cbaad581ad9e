// SPDX-License-Identifier: Apache-2.0
//! Test-only: the C structs the Rust mirrors in `abi.rs` copy, read from
//! the BTF clang wrote into the built object, so a test can compare every
//! shared struct's size and field offsets with the object itself (not
//! with a header the object might not have been built from).

use std::collections::HashMap;

/// A struct's size and its members' byte offsets, by name.
#[derive(Debug, Clone)]
pub struct CStruct {
    pub size: u32,
    pub members: Vec<(String, u32)>,
}

/// Every named struct in `elf`'s `.BTF` section.
pub fn structs(elf: &[u8]) -> Result<HashMap<String, CStruct>, String> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(elf).map_err(|e| e.to_string())?;
    let btf = file
        .section_by_name(".BTF")
        .ok_or("no .BTF section")?
        .data()
        .map_err(|e| e.to_string())?;
    parse(btf)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| format!("BTF truncated at {at}"))
}

/// The kernel's BTF layout (`include/uapi/linux/btf.h`), little-endian.
fn parse(b: &[u8]) -> Result<HashMap<String, CStruct>, String> {
    if b.get(0..2) != Some(&[0x9f, 0xeb]) {
        return Err("not BTF (magic)".into());
    }
    let hdr_len = u32_at(b, 4)? as usize;
    let (type_off, type_len) = (u32_at(b, 8)? as usize, u32_at(b, 12)? as usize);
    let str_off = u32_at(b, 16)? as usize;
    let types = hdr_len + type_off;
    let strings = hdr_len + str_off;
    let name = |off: u32| -> String {
        let start = strings + off as usize;
        let end = b[start..]
            .iter()
            .position(|&c| c == 0)
            .map_or(b.len(), |n| start + n);
        String::from_utf8_lossy(&b[start..end]).into_owned()
    };
    let mut out = HashMap::new();
    let mut at = types;
    while at < types + type_len {
        let name_off = u32_at(b, at)?;
        let info = u32_at(b, at + 4)?;
        let size = u32_at(b, at + 8)?;
        let kind = (info >> 24) & 0x1f;
        let vlen = (info & 0xffff) as usize;
        let bitfields = info >> 31 == 1;
        at += 12;
        // The bytes each kind carries after the common header.
        let extra = match kind {
            1 /* INT */ | 14 /* VAR */ | 17 /* DECL_TAG */ => 4,
            3 /* ARRAY */ => 12,
            4 /* STRUCT */ | 5 /* UNION */ | 15 /* DATASEC */ | 19 /* ENUM64 */ => 12 * vlen,
            6 /* ENUM */ | 13 /* FUNC_PROTO */ => 8 * vlen,
            _ => 0,
        };
        if kind == 4 && name_off != 0 {
            let mut members = Vec::with_capacity(vlen);
            for m in 0..vlen {
                let base = at + 12 * m;
                let offset = u32_at(b, base + 8)?;
                let bits = if bitfields {
                    offset & 0xff_ffff
                } else {
                    offset
                };
                members.push((name(u32_at(b, base)?), bits / 8));
            }
            out.insert(name(name_off), CStruct { size, members });
        }
        at += extra;
    }
    Ok(out)
}
