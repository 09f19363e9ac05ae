#![no_main]
//! vCard: unfolding, parameters, quoted-printable, charsets, escapes, card structure.

use clientele_io::{Format, ReadOptions, detect_format};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::quiet_caught_panics();
    let _ = detect_format(None, data);
    let mut opts = ReadOptions::default();
    opts.limits.max_cell_chars = 1000;
    common::drain(Format::Vcard, data.to_vec(), &opts);
});
