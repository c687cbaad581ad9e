// SPDX-License-Identifier: Apache-2.0
//! The fuzz targets, one file each.

pub mod compile;
pub mod config;
pub mod frame;
pub mod manifest;
pub mod pipeline;
