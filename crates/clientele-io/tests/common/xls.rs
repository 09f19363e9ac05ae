//! A hand-made XLS (BIFF8 in a Compound File), for tests and fuzzing: no dependency.
#![allow(dead_code)]

/// A cell of the hand-made XLS.
pub enum XCell<'a> {
    Text(&'a str),
    Num(f64),
    /// An Excel serial date (shown with the built-in date format 14).
    Date(f64),
}

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(dt: u16) -> Vec<u8> {
    let mut d = Vec::new();
    for v in [0x0600u16, dt, 0x0DBB, 0x07CC] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&6u32.to_le_bytes());
    d
}

/// A minimal BIFF8 workbook (XLS, Excel 97-2003) in a Compound File, written by hand: sheets of
/// text (shared strings), numbers and dates. `dimensions` overrides the DIMENSIONS record of the
/// first sheet (rwMic, rwMac, colMic, colMac), to test the guard against absurd declarations.
pub fn make_xls(sheets: &[(&str, Vec<Vec<XCell>>)], dimensions: Option<(u32, u32, u16, u16)>) -> Vec<u8> {
    wrap_cfb(&make_biff(sheets, dimensions))
}

/// The BIFF8 `Workbook` stream of [`make_xls`].
pub fn make_biff(sheets: &[(&str, Vec<Vec<XCell>>)], dimensions: Option<(u32, u32, u16, u16)>) -> Vec<u8> {
    // shared strings
    let mut strings: Vec<&str> = Vec::new();
    for (_, rows) in sheets {
        for row in rows {
            for c in row {
                if let XCell::Text(t) = c
                    && !strings.contains(t)
                {
                    strings.push(t);
                }
            }
        }
    }
    let mut sst = Vec::new();
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    for s in &strings {
        let units: Vec<u16> = s.encode_utf16().collect();
        sst.extend_from_slice(&(units.len() as u16).to_le_bytes());
        sst.push(0x01);
        for u in units {
            sst.extend_from_slice(&u.to_le_bytes());
        }
    }
    // sheet substreams (positions patched in afterwards)
    let mut substreams = Vec::new();
    for (i, (_, rows)) in sheets.iter().enumerate() {
        let mut s = Vec::new();
        record(&mut s, 0x0809, &bof(0x0010));
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0) as u16;
        let (rf, rl, cf, cl) = match (i, dimensions) {
            (0, Some(d)) => d,
            _ => (0, rows.len() as u32, 0, cols),
        };
        let mut dim = Vec::new();
        dim.extend_from_slice(&rf.to_le_bytes());
        dim.extend_from_slice(&rl.to_le_bytes());
        dim.extend_from_slice(&cf.to_le_bytes());
        dim.extend_from_slice(&cl.to_le_bytes());
        dim.extend_from_slice(&0u16.to_le_bytes());
        record(&mut s, 0x0200, &dim);
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let mut d = Vec::new();
                d.extend_from_slice(&(r as u16).to_le_bytes());
                d.extend_from_slice(&(c as u16).to_le_bytes());
                match cell {
                    XCell::Text(t) => {
                        d.extend_from_slice(&0u16.to_le_bytes());
                        let i = strings.iter().position(|s| s == t).unwrap_or(0) as u32;
                        d.extend_from_slice(&i.to_le_bytes());
                        record(&mut s, 0x00FD, &d);
                    }
                    XCell::Num(v) | XCell::Date(v) => {
                        let xf: u16 = if matches!(cell, XCell::Date(_)) { 1 } else { 0 };
                        d.extend_from_slice(&xf.to_le_bytes());
                        d.extend_from_slice(&v.to_le_bytes());
                        record(&mut s, 0x0203, &d);
                    }
                }
            }
        }
        record(&mut s, 0x000A, &[]);
        substreams.push(s);
    }
    let globals = |positions: &[u32]| {
        let mut g = Vec::new();
        record(&mut g, 0x0809, &bof(0x0005));
        record(&mut g, 0x0042, &1200u16.to_le_bytes());
        for ifmt in [0u16, 14] {
            let mut xf = vec![0u8; 20];
            xf[2..4].copy_from_slice(&ifmt.to_le_bytes());
            record(&mut g, 0x00E0, &xf);
        }
        for ((name, _), pos) in sheets.iter().zip(positions) {
            let mut b = Vec::new();
            b.extend_from_slice(&pos.to_le_bytes());
            b.extend_from_slice(&[0, 0]);
            let units: Vec<u16> = name.encode_utf16().collect();
            b.push(units.len() as u8);
            b.push(1);
            for u in units {
                b.extend_from_slice(&u.to_le_bytes());
            }
            record(&mut g, 0x0085, &b);
        }
        record(&mut g, 0x00FC, &sst);
        record(&mut g, 0x000A, &[]);
        g
    };
    let globals_len = globals(&vec![0; sheets.len()]).len();
    let mut positions = Vec::new();
    let mut at = globals_len;
    for s in &substreams {
        positions.push(at as u32);
        at += s.len();
    }
    let mut stream = globals(&positions);
    for s in &substreams {
        stream.extend_from_slice(s);
    }
    stream
}

/// Wraps a `Workbook` stream (up to 60 KB) in a version 3 Compound File, as XLS files are.
pub fn wrap_cfb(stream: &[u8]) -> Vec<u8> {
    let mut stream = stream.to_vec();
    let size = stream.len().max(4096); // not in the mini stream
    stream.resize(size.div_ceil(512) * 512, 0);
    let n = (stream.len() / 512) as u32;
    if n >= 120 {
        return Vec::new(); // too big for one FAT sector
    }

    // Compound File: sector 0 = FAT, 1..=n = Workbook stream, n+1 = directory
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let put16 = |h: &mut Vec<u8>, at: usize, v: u16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |h: &mut Vec<u8>, at: usize, v: u32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut header, 0x18, 0x003E);
    put16(&mut header, 0x1A, 0x0003);
    put16(&mut header, 0x1C, 0xFFFE);
    put16(&mut header, 0x1E, 9);
    put16(&mut header, 0x20, 6);
    put32(&mut header, 0x2C, 1);
    put32(&mut header, 0x30, n + 1);
    put32(&mut header, 0x38, 4096);
    put32(&mut header, 0x3C, 0xFFFF_FFFE);
    put32(&mut header, 0x44, 0xFFFF_FFFE);
    put32(&mut header, 0x4C, 0);
    for i in 1..109 {
        put32(&mut header, 0x4C + 4 * i, 0xFFFF_FFFF);
    }
    let mut fat = vec![0xFFFF_FFFFu32; 128];
    fat[0] = 0xFFFF_FFFD;
    for i in 1..=n {
        fat[i as usize] = if i == n { 0xFFFF_FFFE } else { i + 1 };
    }
    fat[n as usize + 1] = 0xFFFF_FFFE;
    let mut dir = vec![0u8; 512];
    let mut entry = |slot: usize, name: &str, typ: u8, child: u32, start: u32, size: u32| {
        let e = &mut dir[slot * 128..slot * 128 + 128];
        let units: Vec<u16> = name.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        e[0x40..0x42].copy_from_slice(&(((units.len() + 1) * 2) as u16).to_le_bytes());
        e[0x42] = typ;
        e[0x43] = 1;
        e[0x44..0x48].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        e[0x48..0x4C].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        e[0x4C..0x50].copy_from_slice(&child.to_le_bytes());
        e[0x74..0x78].copy_from_slice(&start.to_le_bytes());
        e[0x78..0x7C].copy_from_slice(&size.to_le_bytes());
    };
    entry(0, "Root Entry", 5, 1, 0xFFFF_FFFE, 0);
    entry(1, "Workbook", 2, 0xFFFF_FFFF, 1, size as u32);
    for slot in 2..4 {
        let e = &mut dir[slot * 128..slot * 128 + 128];
        e[0x44..0x50].copy_from_slice(&[0xFF; 12]);
    }
    let mut out = header;
    for v in fat {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&stream);
    out.extend_from_slice(&dir);
    out
}
