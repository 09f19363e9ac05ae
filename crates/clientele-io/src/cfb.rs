//! A small, bounds-checked reader of Compound File Binary containers (the envelope of XLS), used
//! to look at the BIFF records before calamine does: calamine reserves memory for the cell count
//! a `DIMENSIONS` record declares, so a 2 KB file declaring 4 billion rows would make it ask for
//! petabytes and abort the process. The guard refuses such files first.

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const MAX_REGSECT: u32 = 0xFFFF_FFFA;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

struct Cfb<'a> {
    bytes: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
}

impl<'a> Cfb<'a> {
    /// A sector; the last one of the file may be short.
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(self.sector)?;
        if start >= self.bytes.len() {
            return None;
        }
        self.bytes.get(start..start.checked_add(self.sector)?.min(self.bytes.len()))
    }

    /// The sectors of a chain, concatenated; `None` if the chain is broken (a sector beyond the
    /// end, a free or reserved sector) or loops — calamine follows chains without a loop check
    /// until it has read the declared size, so a looping chain would make it allocate without end.
    fn chain(&self, first: u32, fat: &[u32], unit: usize, get: impl Fn(u32) -> Option<&'a [u8]>) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut id = first;
        let mut steps = 0usize;
        while id != ENDOFCHAIN {
            if id > MAX_REGSECT {
                return None;
            }
            steps += 1;
            if steps > fat.len() {
                return None; // a loop
            }
            let s = get(id)?;
            out.extend_from_slice(&s[..s.len().min(unit)]);
            id = *fat.get(id as usize)?;
        }
        Some(out)
    }
}

/// The `Workbook` (or BIFF5 `Book`) stream of an XLS file, after checking that every chain
/// calamine will follow (directory, mini stream, mini FAT, the stream itself) ends.
pub(crate) fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < 512 {
        return None;
    }
    let shift = u16_at(bytes, 0x1E)?;
    if shift != 9 && shift != 12 {
        return None;
    }
    let sector = 1usize << shift;
    let mini_cutoff = u32_at(bytes, 0x38)? as u64;
    let dir_start = u32_at(bytes, 0x30)?;
    let minifat_start = u32_at(bytes, 0x3C)?;
    let minifat_len = u32_at(bytes, 0x40)?;
    let mut difat_next = u32_at(bytes, 0x44)?;
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(bytes, 0x4C + 4 * i)).collect();
    let max_sectors = bytes.len() / sector + 1;
    let mut cfb = Cfb { bytes, sector, fat: Vec::new() };
    let mut guard = 0;
    while difat_next <= MAX_REGSECT {
        guard += 1;
        if guard > max_sectors {
            return None;
        }
        let s = cfb.sector(difat_next)?;
        let n = sector / 4 - 1;
        fat_sectors.extend((0..n).filter_map(|i| u32_at(s, 4 * i)));
        difat_next = u32_at(s, 4 * n)?;
    }
    let mut fat = Vec::new();
    for id in fat_sectors.into_iter().filter(|&id| id <= MAX_REGSECT) {
        let s = cfb.sector(id)?;
        fat.extend((0..sector / 4).filter_map(|i| u32_at(s, 4 * i)));
        if fat.len() > max_sectors.saturating_mul(sector / 4) {
            return None;
        }
    }
    cfb.fat = fat;
    let dirs = cfb.chain(dir_start, &cfb.fat, sector, |id| cfb.sector(id))?;
    let entries: Vec<&[u8]> = dirs.chunks_exact(128).collect();
    let root = entries.first()?;
    let name_of = |e: &[u8]| -> String {
        let len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64);
        let units: Vec<u16> = (0..len / 2).filter_map(|i| u16_at(e, 2 * i)).take_while(|&u| u != 0).collect();
        String::from_utf16_lossy(&units)
    };
    let entry = entries.iter().find(|e| {
        e.get(0x42) == Some(&2) && {
            let n = name_of(e);
            n.eq_ignore_ascii_case("Workbook") || n.eq_ignore_ascii_case("Book")
        }
    })?;
    // calamine loads the mini stream and the mini FAT whenever the header counts mini FAT sectors
    let (mini_stream, minifat) = if minifat_len > 0 {
        let mini_stream = cfb.chain(u32_at(root, 0x74)?, &cfb.fat, sector, |id| cfb.sector(id))?;
        let minifat_bytes = cfb.chain(minifat_start, &cfb.fat, sector, |id| cfb.sector(id))?;
        let minifat: Vec<u32> = (0..minifat_bytes.len() / 4).filter_map(|i| u32_at(&minifat_bytes, 4 * i)).collect();
        (mini_stream, minifat)
    } else {
        (Vec::new(), Vec::new())
    };
    let start = u32_at(entry, 0x74)?;
    let size = (u32_at(entry, 0x78)? as u64) | ((u32_at(entry, 0x7C)? as u64) << 32);
    if size > bytes.len() as u64 {
        return None;
    }
    let mut data = if size < mini_cutoff {
        cfb.chain(start, &minifat, 64, |id| {
            let at = (id as usize).checked_mul(64)?;
            mini_stream.get(at..at.checked_add(64)?)
        })?
    } else {
        cfb.chain(start, &cfb.fat, sector, |id| cfb.sector(id))?
    };
    data.truncate(size as usize);
    Some(data)
}

/// Walks BIFF records as calamine does (a record followed by `CONTINUE` records is one record),
/// from `pos` to the `EOF` record that ends the substream, calling `f` with each record's type and
/// data. With `nested`, records of substreams nested in it (embedded charts) are skipped, as
/// calamine skips them in a sheet.
fn walk(
    stream: &[u8],
    pos: usize,
    nested: bool,
    mut f: impl FnMut(u16, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut s = stream.get(pos..).unwrap_or_default();
    let mut seen_bof = false;
    let mut depth = 0usize;
    while s.len() >= 4 {
        let typ = u16_at(s, 0).unwrap_or(0);
        let len = u16_at(s, 2).unwrap_or(0) as usize;
        let Some(data) = s.get(4..4 + len) else { return Ok(()) };
        s = &s[4 + len..];
        while s.len() > 4 && u16_at(s, 0) == Some(0x003C) {
            let l = u16_at(s, 2).unwrap_or(0) as usize;
            match s.get(4 + l..) {
                Some(rest) => s = rest,
                None => return Ok(()),
            }
        }
        if nested {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            if typ == 0x0809 {
                if seen_bof {
                    depth += 1;
                    continue;
                }
                seen_bof = true;
            }
        }
        f(typ, data)?;
        if typ == 0x000A {
            return Ok(());
        }
    }
    Ok(())
}

/// Most cells the bounding box of an XLS sheet may span: calamine allocates the whole box
/// (32 bytes a cell, and as much again for formulas), so a sheet with one cell at A1 and one at
/// IV65536 costs what a full sheet costs. 8 Mi cells ≈ 256 MiB.
pub(crate) const XLS_MAX_BOX_CELLS: u64 = 8 << 20;

/// Refuses a workbook stream whose sheets declare, or span, more cells than a BIFF8 sheet holds
/// or than [`XLS_MAX_BOX_CELLS`].
pub(crate) fn check_dimensions(stream: &[u8]) -> Result<(), String> {
    let mut sheets = Vec::new();
    walk(stream, 0, false, |typ, data| {
        if typ == 0x0085
            && let Some(pos) = u32_at(data, 0)
        {
            sheets.push(pos as usize);
        }
        Ok(())
    })?;
    for pos in sheets {
        let mut bounds: Option<(u64, u64, u64, u64)> = None;
        let mut see = |row: u64, col: u64| {
            let b = bounds.get_or_insert((row, row, col, col));
            *b = (b.0.min(row), b.1.max(row), b.2.min(col), b.3.max(col));
        };
        walk(stream, pos, true, |typ, data| {
            match typ {
                // Number, Label, RString, BoolErr, Formula, Rk, LabelSst: row, column first
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x0006 | 0x027E | 0x00FD => {
                    if let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) {
                        see(r as u64, c as u64);
                    }
                }
                // MulRk: row, first column, ..., last column
                0x00BD if data.len() >= 6 => {
                    if let (Some(r), Some(c1), Some(c2)) =
                        (u16_at(data, 0), u16_at(data, 2), u16_at(data, data.len() - 2))
                    {
                        see(r as u64, c1 as u64);
                        see(r as u64, c2 as u64);
                    }
                }
                0x0200 => {
                    let (rf, rl, cf, cl) = match data.len() {
                        10 => (
                            u16_at(data, 0).unwrap_or(0) as u64,
                            u16_at(data, 2).unwrap_or(0) as u64,
                            u16_at(data, 4).unwrap_or(0) as u64,
                            u16_at(data, 6).unwrap_or(0) as u64,
                        ),
                        14 | 16 => (
                            u32_at(data, 0).unwrap_or(0) as u64,
                            u32_at(data, 4).unwrap_or(0) as u64,
                            u16_at(data, 8).unwrap_or(0) as u64,
                            u16_at(data, 10).unwrap_or(0) as u64,
                        ),
                        _ => return Ok(()),
                    };
                    // as calamine reads it: rows rf..rl-1, columns cf..cl-1 (cf taken as 0 when odd)
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    if rl >= 1 && cl >= 1 && (rf >= rl || rl - rf > 65_536 || cl - cf > 256) {
                        return Err(format!(
                            "a sheet declares rows {rf}..{rl} and columns {cf}..{cl}, more than an XLS sheet holds"
                        ));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        if let Some((r0, r1, c0, c1)) = bounds {
            let cells = (r1 - r0 + 1) * (c1 - c0 + 1);
            if cells > XLS_MAX_BOX_CELLS {
                return Err(format!(
                    "a sheet spans {} rows × {} columns, more than {XLS_MAX_BOX_CELLS} cells; save it as XLSX or CSV",
                    r1 - r0 + 1,
                    c1 - c0 + 1
                ));
            }
        }
    }
    Ok(())
}
