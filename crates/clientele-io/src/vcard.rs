//! vCard: a reader (2.1, 3.0, 4.0) producing a fixed table, and a vCard 4.0 writer.

use std::io::{self, BufRead, Write};

use encoding_rs::Encoding;

use crate::{ReadError, Row};

/// The columns of a table read from a vCard file, in order.
pub const VCARD_HEADERS: [&str; 24] = [
    "full_name",
    "first_name",
    "last_name",
    "middle_name",
    "title",
    "company",
    "phone_mobile",
    "phone_work",
    "phone_home",
    "phone_fax",
    "phone",
    "email_work",
    "email_personal",
    "email",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "birthday",
    "anniversary",
    "website",
    "notes",
    "tags",
];

/// Properties whose (possibly huge, base64) values are skipped.
const BINARY_PROPS: [&str; 4] = ["PHOTO", "LOGO", "SOUND", "KEY"];

/// One card being read.
#[derive(Default)]
struct Card {
    cells: Vec<String>,
    /// phone_mobile, phone_work, phone_home, phone_fax, phone
    multi: [Vec<String>; 5],
    emails: [Vec<String>; 3],
    tags: Vec<String>,
    notes: Vec<String>,
    has_adr: bool,
}

fn col(name: &str) -> usize {
    VCARD_HEADERS.iter().position(|h| *h == name).unwrap_or(0)
}

impl Card {
    fn new() -> Self {
        Card { cells: vec![String::new(); VCARD_HEADERS.len()], ..Card::default() }
    }

    fn set_once(&mut self, name: &str, value: String) {
        let i = col(name);
        if self.cells[i].is_empty() {
            self.cells[i] = value.trim().to_string();
        }
    }

    fn into_cells(mut self) -> Vec<String> {
        let join = |v: &[String]| {
            let mut seen: Vec<&str> = Vec::new();
            for s in v {
                let s = s.trim();
                if !s.is_empty() && !seen.contains(&s) {
                    seen.push(s);
                }
            }
            seen.join("; ")
        };
        for (i, name) in ["phone_mobile", "phone_work", "phone_home", "phone_fax", "phone"].iter().enumerate() {
            self.cells[col(name)] = join(&self.multi[i]);
        }
        for (i, name) in ["email_work", "email_personal", "email"].iter().enumerate() {
            self.cells[col(name)] = join(&self.emails[i]);
        }
        self.cells[col("tags")] = join(&self.tags);
        self.cells[col("notes")] =
            self.notes.iter().map(|n| n.trim()).filter(|n| !n.is_empty()).collect::<Vec<_>>().join("\n");
        self.cells
    }
}

/// A property line, parsed.
struct Prop {
    name: String,
    types: Vec<String>,
    charset: Option<String>,
    quoted_printable: bool,
    base64: bool,
    value: Vec<u8>,
}

/// Splits `GROUP.NAME;PARAM=A,B;BARE:value` into its parts; `None` without a `:`.
fn parse_prop(line: &[u8]) -> Option<Prop> {
    let mut in_quotes = false;
    let mut colon = None;
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b':' if !in_quotes => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let head = String::from_utf8_lossy(&line[..colon]);
    let mut parts = split_outside_quotes(&head, ';').into_iter();
    let full_name = parts.next().unwrap_or_default();
    let name = full_name.rsplit('.').next().unwrap_or_default().trim().to_ascii_uppercase();
    let mut prop = Prop {
        name,
        types: Vec::new(),
        charset: None,
        quoted_printable: false,
        base64: false,
        value: line[colon + 1..].to_vec(),
    };
    for p in parts {
        let (k, v) = match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim().to_string()),
            None => ("TYPE".to_string(), p.trim().to_string()),
        };
        let v = v.trim_matches('"');
        match k.as_str() {
            "TYPE" => {
                for t in v.split(',') {
                    let t = t.trim().trim_matches('"').to_ascii_lowercase();
                    match t.as_str() {
                        "quoted-printable" => prop.quoted_printable = true,
                        "base64" | "b" => prop.base64 = true,
                        "" => {}
                        _ => prop.types.push(t),
                    }
                }
            }
            "ENCODING" => match v.to_ascii_lowercase().as_str() {
                "quoted-printable" => prop.quoted_printable = true,
                "b" | "base64" => prop.base64 = true,
                _ => {}
            },
            "CHARSET" => prop.charset = Some(v.to_string()),
            _ => {}
        }
    }
    Some(prop)
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    for c in s.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
            cur.push(c);
        } else if c == sep && !in_quotes {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Quoted-printable decoding (`=41` → `A`; a bad escape is kept as it is).
fn qp_decode(v: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'='
            && let (Some(h), Some(l)) = (v.get(i + 1).and_then(|&b| hex(b)), v.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

/// Splits a value at unescaped `sep` (`;` for structured values, `,` for lists), then unescapes.
fn split_unescape(v: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => cur.push('\n'),
                Some(e @ ('\\' | ',' | ';' | ':' | '"')) => cur.push(e),
                Some(other) => {
                    cur.push('\\');
                    cur.push(other);
                }
                None => cur.push('\\'),
            }
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn unescape(v: &str) -> String {
    split_unescape(v, '\u{0}').into_iter().next().unwrap_or_default()
}

/// `19800315` / `1980-03-15` / `1980-03-15T10:00:00Z` → `1980-03-15`; `--0315` → `--03-15`;
/// anything else is returned trimmed.
pub(crate) fn iso_date(v: &str) -> String {
    let v = v.trim();
    let date = match v.find('T') {
        Some(i) if i >= 4 => &v[..i],
        _ => v,
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = |y: &str, m: &str, d: &str| match (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) {
        (Ok(y), Ok(m), Ok(d)) => chrono::NaiveDate::from_ymd_opt(y, m, d).is_some(),
        _ => false,
    };
    if date.len() == 8 && digits(date) && valid(&date[..4], &date[4..6], &date[6..]) {
        return format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
    }
    if date.len() == 10
        && date.as_bytes()[4] == b'-'
        && date.as_bytes()[7] == b'-'
        && digits(&date[..4])
        && valid(&date[..4], &date[5..7], &date[8..])
    {
        return date.to_string();
    }
    if let Some(md) = date.strip_prefix("--")
        && md.len() == 4
        && digits(md)
        && valid("2000", &md[..2], &md[2..])
    {
        return format!("--{}-{}", &md[..2], &md[2..]);
    }
    v.to_string()
}

/// Reads physical lines with a length cap, so a file without line breaks cannot fill memory.
struct Lines {
    input: Box<dyn BufRead + Send>,
    cap: usize,
    line: u64,
    peeked: Option<(Vec<u8>, bool)>,
}

impl Lines {
    /// The next physical line without its line ending, and whether it was cut at the cap.
    fn physical(&mut self) -> io::Result<Option<(Vec<u8>, bool)>> {
        if let Some(p) = self.peeked.take() {
            self.line += 1;
            return Ok(Some(p));
        }
        let mut out = Vec::new();
        let mut cut = false;
        let mut any = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (take, found) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = self.cap.saturating_sub(out.len());
            let chunk = &buf[..take - usize::from(found)];
            if chunk.len() > room {
                cut = true;
            }
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.input.consume(take);
            if found {
                break;
            }
        }
        if out.last() == Some(&b'\r') {
            out.pop();
        }
        self.line += 1;
        Ok(Some((out, cut)))
    }

    /// The next logical line (folded lines joined, quoted-printable soft breaks joined), its first
    /// line number and whether it was cut.
    fn logical(&mut self) -> io::Result<Option<(Vec<u8>, u64, bool)>> {
        let Some((mut line, mut cut)) = self.physical()? else { return Ok(None) };
        let start = self.line;
        let upper_head = |l: &[u8]| {
            let end = l.iter().position(|&b| b == b':').unwrap_or(l.len());
            l[..end].to_ascii_uppercase()
        };
        let qp = {
            let h = upper_head(&line);
            h.windows(16).any(|w| w == b"QUOTED-PRINTABLE")
        };
        loop {
            if qp && line.last() == Some(&b'=') {
                // quoted-printable soft line break: the value goes on at the next line
                match self.physical()? {
                    Some((next, c)) => {
                        line.pop();
                        let room = self.cap.saturating_sub(line.len());
                        cut |= c || next.len() > room;
                        line.extend_from_slice(&next[..next.len().min(room)]);
                        continue;
                    }
                    None => break,
                }
            }
            match self.physical()? {
                Some((next, c)) if matches!(next.first(), Some(b' ' | b'\t')) => {
                    let room = self.cap.saturating_sub(line.len());
                    let more = &next[1..];
                    cut |= c || more.len() > room;
                    line.extend_from_slice(&more[..more.len().min(room)]);
                }
                Some(other) => {
                    self.peeked = Some(other);
                    self.line -= 1;
                    break;
                }
                None => break,
            }
        }
        Ok(Some((line, start, cut)))
    }
}

/// Reads cards one by one.
pub(crate) struct VcardRows {
    lines: Lines,
    fallback: &'static Encoding,
    cards: u64,
    /// A `BEGIN:VCARD` was read already (at this line) for the next card.
    open_at: Option<u64>,
    done: bool,
    max_cell_chars: usize,
}

impl VcardRows {
    /// `fallback` decodes values that are not UTF-8 and name no `CHARSET`.
    pub(crate) fn new(input: Box<dyn BufRead + Send>, fallback: &'static Encoding, max_cell_chars: usize) -> Self {
        VcardRows {
            lines: Lines { input, cap: max_cell_chars.saturating_mul(4).saturating_add(1024), line: 0, peeked: None },
            fallback,
            cards: 0,
            open_at: None,
            done: false,
            max_cell_chars,
        }
    }

    /// Checks that the first non-blank line opens a card.
    pub(crate) fn check_start(&mut self) -> Result<(), ReadError> {
        loop {
            match self.lines.logical()? {
                None => return Err(ReadError::Empty),
                Some((l, _, _)) if l.trim_ascii().is_empty() => continue,
                Some((l, line, _)) => {
                    if is_begin(&l) {
                        self.open_at = Some(line);
                        return Ok(());
                    }
                    return Err(ReadError::Card {
                        card: None,
                        line,
                        message: "not a vCard file: the first line is not BEGIN:VCARD".into(),
                    });
                }
            }
        }
    }

    fn decode(&self, p: &Prop) -> String {
        let raw = if p.quoted_printable { qp_decode(&p.value) } else { p.value.clone() };
        if let Some(enc) = p.charset.as_deref().and_then(|c| Encoding::for_label(c.trim().as_bytes())) {
            return enc.decode_without_bom_handling(&raw).0.into_owned();
        }
        match String::from_utf8(raw) {
            Ok(s) => s,
            Err(e) => self.fallback.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
        }
    }

    pub(crate) fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        if self.done {
            return None;
        }
        // find the BEGIN of the next card
        let begin = match self.open_at.take() {
            Some(l) => l,
            None => loop {
                match self.lines.logical() {
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e.into()));
                    }
                    Ok(None) => {
                        self.done = true;
                        return None;
                    }
                    // text between cards is ignored
                    Ok(Some((l, line, _))) if is_begin(&l) => break line,
                    Ok(Some(_)) => {}
                }
            },
        };
        self.cards += 1;
        let number = self.cards;
        let mut card = Card::new();
        let mut problem: Option<ReadError> = None;
        loop {
            let (l, line, cut) = match self.lines.logical() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.into()));
                }
                Ok(None) => {
                    self.done = true;
                    return Some(Err(ReadError::Card {
                        card: Some(number),
                        line: begin,
                        message: "the card has no END:VCARD".into(),
                    }));
                }
                Ok(Some(x)) => x,
            };
            if l.trim_ascii().is_empty() {
                continue;
            }
            if is_begin(&l) {
                self.open_at = Some(line);
                return Some(Err(ReadError::Card {
                    card: Some(number),
                    line: begin,
                    message: format!("the card has no END:VCARD (a new card begins at line {line})"),
                }));
            }
            let Some(prop) = parse_prop(&l) else {
                problem.get_or_insert(ReadError::Card {
                    card: Some(number),
                    line,
                    message: format!("the line has no `:` ({:?})", shorten(&String::from_utf8_lossy(&l))),
                });
                continue;
            };
            if prop.name == "END" && prop.value.trim_ascii().eq_ignore_ascii_case(b"VCARD") {
                break;
            }
            if BINARY_PROPS.contains(&prop.name.as_str()) || prop.base64 {
                continue;
            }
            if cut {
                problem.get_or_insert(ReadError::Card {
                    card: Some(number),
                    line,
                    message: format!("the {} value is longer than {} characters", prop.name, self.max_cell_chars),
                });
                continue;
            }
            let value = self.decode(&prop);
            apply(&mut card, &prop, &value);
        }
        if let Some(e) = problem {
            return Some(Err(e));
        }
        let cells = card.into_cells();
        if let Some(i) = cells.iter().position(|c| c.chars().count() > self.max_cell_chars) {
            return Some(Err(ReadError::Cell {
                row: number,
                column: Some(VCARD_HEADERS[i].to_string()),
                message: format!("the value is longer than {} characters", self.max_cell_chars),
            }));
        }
        Some(Ok(Row { number, cells }))
    }
}

fn is_begin(l: &[u8]) -> bool {
    let t = l.trim_ascii();
    t.len() == 11 && t.eq_ignore_ascii_case(b"BEGIN:VCARD")
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s.to_string() }
}

fn has(types: &[String], any: &[&str]) -> bool {
    types.iter().any(|t| any.contains(&t.as_str()))
}

fn strip_scheme<'a>(v: &'a str, scheme: &str) -> &'a str {
    let t = v.trim();
    match t.get(..scheme.len()) {
        Some(p) if p.eq_ignore_ascii_case(scheme) => &t[scheme.len()..],
        _ => t,
    }
}

fn apply(card: &mut Card, p: &Prop, value: &str) {
    match p.name.as_str() {
        "FN" => card.set_once("full_name", unescape(value)),
        "N" => {
            let parts = split_unescape(value, ';');
            let get = |i: usize| parts.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
            card.set_once("last_name", get(0));
            card.set_once("first_name", get(1));
            card.set_once("middle_name", get(2));
        }
        "ORG" => card.set_once("company", split_unescape(value, ';').into_iter().next().unwrap_or_default()),
        "TITLE" => card.set_once("title", unescape(value)),
        "TEL" => {
            let t = &p.types;
            let slot = if has(t, &["fax"]) {
                3
            } else if has(t, &["cell", "mobile", "iphone"]) {
                0
            } else if has(t, &["work"]) {
                1
            } else if has(t, &["home"]) {
                2
            } else {
                4
            };
            card.multi[slot].push(strip_scheme(&unescape(value), "tel:").to_string());
        }
        "EMAIL" => {
            let slot = if has(&p.types, &["work"]) {
                0
            } else if has(&p.types, &["home"]) {
                1
            } else {
                2
            };
            card.emails[slot].push(strip_scheme(&unescape(value), "mailto:").to_string());
        }
        "ADR" if !card.has_adr => {
            card.has_adr = true;
            let parts = split_unescape(value, ';');
            let get = |i: usize| parts.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
            let street: Vec<String> = [get(2), get(1)].into_iter().filter(|s| !s.is_empty()).collect();
            card.set_once("street", street.join(", "));
            card.set_once("city", get(3));
            card.set_once("region", get(4));
            card.set_once("postal_code", get(5));
            card.set_once("country", get(6));
        }
        "BDAY" => card.set_once("birthday", iso_date(&unescape(value))),
        "ANNIVERSARY" | "X-ANNIVERSARY" | "X-MS-ANNIVERSARY" => {
            card.set_once("anniversary", iso_date(&unescape(value)))
        }
        "URL" => card.set_once("website", unescape(value)),
        "NOTE" => card.notes.push(unescape(value)),
        "CATEGORIES" => {
            for t in split_unescape(value, ',') {
                card.tags.push(t.trim().to_string());
            }
        }
        _ => {}
    }
}

/// A contact to write as a vCard 4.0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VcardContact {
    /// `FN` (required by vCard; when empty, it is made of the names or the organisation).
    pub full_name: String,
    /// `N` given name.
    pub first_name: Option<String>,
    /// `N` family name.
    pub last_name: Option<String>,
    /// `N` additional names.
    pub middle_name: Option<String>,
    /// `TITLE`.
    pub title: Option<String>,
    /// `ORG`.
    pub org: Option<String>,
    /// `TEL`s as (kind, number). Kinds: `mobile`/`cell`, `work`, `home`, `fax`; others are plain
    /// voice numbers.
    pub phones: Vec<(String, String)>,
    /// `EMAIL`s as (kind, address). Kinds: `work`, `home`/`personal`; others have no type.
    pub emails: Vec<(String, String)>,
    /// `ADR` street.
    pub street: Option<String>,
    /// `ADR` locality.
    pub city: Option<String>,
    /// `ADR` region.
    pub region: Option<String>,
    /// `ADR` postal code.
    pub postal_code: Option<String>,
    /// `ADR` country.
    pub country: Option<String>,
    /// `BDAY` as an ISO date (`1980-03-15`, or `--03-15` without year).
    pub birthday: Option<String>,
    /// `URL`.
    pub website: Option<String>,
    /// `NOTE`.
    pub notes: Option<String>,
    /// `CATEGORIES`.
    pub categories: Vec<String>,
    /// `UID`, e.g. `urn:uuid:...`.
    pub uid: Option<String>,
    /// `REV`, e.g. `20240301T103000Z`.
    pub rev: Option<String>,
}

/// Escapes a text value (RFC 6350 §3.4): backslash, comma, semicolon, line breaks.
fn esc(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded at 75 octets without splitting a UTF-8 character, with CRLF.
fn line(w: &mut impl Write, content: &str) -> io::Result<()> {
    let mut rest = content;
    let mut limit = 75;
    let mut first = true;
    while !rest.is_empty() || first {
        let mut cut = rest.len().min(limit);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if !first {
            w.write_all(b" ")?;
        }
        w.write_all(&rest.as_bytes()[..cut])?;
        w.write_all(b"\r\n")?;
        rest = &rest[cut..];
        first = false;
        limit = 74;
    }
    Ok(())
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `1980-03-15` → `19800315`, `--03-15` → `--0315` (the basic format of RFC 6350).
fn basic_date(v: &str) -> String {
    let iso = iso_date(v);
    if iso.len() == 10 && iso.as_bytes()[4] == b'-' && iso.as_bytes()[7] == b'-' {
        return iso.replace('-', "");
    }
    if let Some(md) = iso.strip_prefix("--")
        && md.len() == 5
    {
        return format!("--{}", md.replace('-', ""));
    }
    esc(&iso)
}

/// Writes a contact as a vCard 4.0 (CRLF line ends, folded lines, escaped values). Reading the
/// output with [`Table`](crate::Table) gives back the same values.
pub fn write_vcard(w: &mut impl Write, c: &VcardContact) -> io::Result<()> {
    line(w, "BEGIN:VCARD")?;
    line(w, "VERSION:4.0")?;
    if let Some(uid) = nonempty(&c.uid) {
        line(w, &format!("UID:{}", esc(uid)))?;
    }
    let full = if c.full_name.trim().is_empty() {
        let names: Vec<&str> =
            [nonempty(&c.first_name), nonempty(&c.middle_name), nonempty(&c.last_name)].into_iter().flatten().collect();
        if names.is_empty() { nonempty(&c.org).unwrap_or("").to_string() } else { names.join(" ") }
    } else {
        c.full_name.trim().to_string()
    };
    line(w, &format!("FN:{}", esc(&full)))?;
    if c.first_name.is_some() || c.last_name.is_some() || c.middle_name.is_some() {
        let part = |v: &Option<String>| esc(nonempty(v).unwrap_or(""));
        line(w, &format!("N:{};{};{};;", part(&c.last_name), part(&c.first_name), part(&c.middle_name)))?;
    }
    if let Some(org) = nonempty(&c.org) {
        line(w, &format!("ORG:{}", esc(org)))?;
    }
    if let Some(t) = nonempty(&c.title) {
        line(w, &format!("TITLE:{}", esc(t)))?;
    }
    for (kind, number) in &c.phones {
        let number = number.trim();
        if number.is_empty() {
            continue;
        }
        let ty = match kind.trim().to_ascii_lowercase().as_str() {
            "mobile" | "cell" => "cell",
            "work" => "work",
            "home" => "home",
            "fax" => "fax",
            _ => "voice",
        };
        line(w, &format!("TEL;VALUE=text;TYPE={ty}:{}", esc(number)))?;
    }
    for (kind, address) in &c.emails {
        let address = address.trim();
        if address.is_empty() {
            continue;
        }
        match kind.trim().to_ascii_lowercase().as_str() {
            "work" => line(w, &format!("EMAIL;TYPE=work:{}", esc(address)))?,
            "home" | "personal" => line(w, &format!("EMAIL;TYPE=home:{}", esc(address)))?,
            _ => line(w, &format!("EMAIL:{}", esc(address)))?,
        }
    }
    let adr = [&c.street, &c.city, &c.region, &c.postal_code, &c.country];
    if adr.iter().any(|v| nonempty(v).is_some()) {
        let parts: Vec<String> = adr.iter().map(|v| esc(nonempty(v).unwrap_or(""))).collect();
        line(w, &format!("ADR:;;{}", parts.join(";")))?;
    }
    if let Some(b) = nonempty(&c.birthday) {
        line(w, &format!("BDAY:{}", basic_date(b)))?;
    }
    if let Some(u) = nonempty(&c.website) {
        line(w, &format!("URL:{}", u.replace(['\r', '\n'], "")))?;
    }
    if let Some(n) = nonempty(&c.notes) {
        line(w, &format!("NOTE:{}", esc(n)))?;
    }
    let cats: Vec<String> = c.categories.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).map(esc).collect();
    if !cats.is_empty() {
        line(w, &format!("CATEGORIES:{}", cats.join(",")))?;
    }
    if let Some(r) = nonempty(&c.rev) {
        line(w, &format!("REV:{}", esc(r)))?;
    }
    line(w, "END:VCARD")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso_date("19800315"), "1980-03-15");
        assert_eq!(iso_date("1980-03-15"), "1980-03-15");
        assert_eq!(iso_date("1980-03-15T00:00:00Z"), "1980-03-15");
        assert_eq!(iso_date("--0315"), "--03-15");
        assert_eq!(iso_date("--03-15"), "--03-15");
        assert_eq!(iso_date("19801345"), "19801345");
        assert_eq!(iso_date(" soon "), "soon");
        assert_eq!(basic_date("1980-03-15"), "19800315");
        assert_eq!(basic_date("--03-15"), "--0315");
    }

    #[test]
    fn folding_keeps_characters_whole() {
        let mut out = Vec::new();
        let value = "Ж".repeat(100); // 200 octets
        line(&mut out, &format!("NOTE:{value}")).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines.iter().all(|l| l.len() <= 75), "{lines:?}");
        assert!(lines[1..].iter().all(|l| l.starts_with(' ')));
        let unfolded: String = lines.iter().enumerate().map(|(i, l)| if i == 0 { *l } else { &l[1..] }).collect();
        assert_eq!(unfolded, format!("NOTE:{value}"));
    }

    #[test]
    fn escapes_and_qp() {
        assert_eq!(split_unescape(r"a\;b;c\,d\nx\\y;C:\Users", ';'), vec!["a;b", "c,d\nx\\y", r"C:\Users"]);
        assert_eq!(esc("a,b;c\\d\r\ne"), r"a\,b\;c\\d\ne");
        assert_eq!(qp_decode(b"=D0=98=D0=B2=D0=B0=D0=BD x=3D1 =ZZ"), "Иван x=1 =ZZ".as_bytes());
    }
}
