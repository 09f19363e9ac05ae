#![no_main]
//! CSV: encoding and delimiter sniffing, streaming decode, record parsing, limits.

use clientele_io::{Format, detect_format};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::quiet_caught_panics();
    let _ = detect_format(Some("upload.csv"), data);
    let Some((&first, rest)) = data.split_first() else { return };
    common::drain(Format::Csv, rest.to_vec(), &common::options(first));
});
