//! Format detection: magic bytes first, then the file name, then "looks like text".

use std::io::Cursor;

use crate::Format;

const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The format of a file, from its first bytes (`head`, ideally the first 64 KiB or the whole file)
/// and its name.
///
/// Magic bytes first: a zip archive is XLSX when it has `xl/workbook.xml`, ODS when its
/// `mimetype` is the OpenDocument spreadsheet one; `D0 CF 11 E0` is XLS; `BEGIN:VCARD` (after an
/// optional BOM and blanks) is vCard. Then the file name extension; else CSV if the bytes look
/// like text. `None`: unknown (e.g. a PDF or an image).
pub fn detect_format(file_name: Option<&str>, head: &[u8]) -> Option<Format> {
    let by_name = file_name.and_then(|n| n.rsplit_once('.')).and_then(|(_, ext)| Format::parse(ext));
    if let Some(magic) = sniff_magic(head) {
        return match magic {
            Magic::Format(f) => Some(f),
            // A zip we could not classify from the head alone: trust a spreadsheet name.
            Magic::Zip => by_name.filter(|f| matches!(f, Format::Xlsx | Format::Ods)),
        };
    }
    if looks_like_vcard(head) {
        return Some(Format::Vcard);
    }
    if let Some(f) = by_name {
        return Some(f);
    }
    if !head.is_empty() && looks_like_text(head) { Some(Format::Csv) } else { None }
}

pub(crate) enum Magic {
    Format(Format),
    Zip,
}

/// Binary signatures only (zip → XLSX / ODS, compound file → XLS).
pub(crate) fn sniff_magic(head: &[u8]) -> Option<Magic> {
    if head.starts_with(CFB_MAGIC) {
        return Some(Magic::Format(Format::Xls));
    }
    if !(head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")) {
        return None;
    }
    // The whole file: look at the central directory.
    if let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(head)) {
        let names: Vec<String> = zip.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect();
        if names.iter().any(|n| n == "xl/workbook.xml" || n == "xl/workbook.bin") {
            return Some(Magic::Format(Format::Xlsx));
        }
        if names.iter().any(|n| n == "mimetype")
            && let Ok(mut f) = zip.by_name("mimetype")
        {
            let mut buf = Vec::new();
            if std::io::Read::read_to_end(&mut std::io::Read::take(&mut f, 200), &mut buf).is_ok()
                && buf.trim_ascii() == ODS_MIME
            {
                return Some(Magic::Format(Format::Ods));
            }
        }
        return Some(Magic::Zip);
    }
    // Only the beginning: local file headers carry the names in clear, and an ODS stores its
    // `mimetype` first and uncompressed.
    if contains(head, b"mimetype") && contains(head, ODS_MIME) {
        return Some(Magic::Format(Format::Ods));
    }
    if contains(head, b"xl/") {
        return Some(Magic::Format(Format::Xlsx));
    }
    Some(Magic::Zip)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn looks_like_vcard(head: &[u8]) -> bool {
    let text: String = match encoding_rs::Encoding::for_bom(head) {
        Some((enc, len)) => {
            let end = head.len().min(len + 200);
            let (s, _) = enc.decode_without_bom_handling(&head[len..end - ((end - len) % 2)]);
            s.into_owned()
        }
        None => String::from_utf8_lossy(&head[..head.len().min(200)]).into_owned(),
    };
    let t = text.trim_start();
    t.len() >= 11 && t.is_char_boundary(11) && t[..11].eq_ignore_ascii_case("BEGIN:VCARD")
}

/// No NUL bytes (unless UTF-16 with a BOM or NUL pattern) and few control characters.
fn looks_like_text(head: &[u8]) -> bool {
    let enc = crate::decode::sniff_encoding(head, false);
    if let Some((e, _)) = encoding_rs::Encoding::for_bom(head)
        && (e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE)
    {
        return true;
    }
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return true;
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    controls * 100 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_magic_name_and_content() {
        assert_eq!(
            detect_format(Some("x.csv"), &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Format::Xls)
        );
        assert_eq!(detect_format(None, b"\xEF\xBB\xBF\r\n  begin:vcard\r\nVERSION:3.0"), Some(Format::Vcard));
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("BEGIN:VCARD\r\n".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(detect_format(None, &utf16), Some(Format::Vcard));
        assert_eq!(detect_format(Some("Contacts.VCF"), b""), Some(Format::Vcard));
        assert_eq!(detect_format(Some("a.xlsx"), b"name,phone\n"), Some(Format::Xlsx));
        assert_eq!(detect_format(None, b"name;phone\nx;y\n"), Some(Format::Csv));
        assert_eq!(detect_format(None, b"%PDF-1.4\x00\x01\x02\x03\x04\x05\x06\x07\x08"), None);
        assert_eq!(detect_format(None, b""), None);
        // a zip with no spreadsheet inside and no name
        assert_eq!(detect_format(None, b"PK\x03\x04garbage"), None);
        assert_eq!(detect_format(Some("book.ods"), b"PK\x03\x04garbage"), Some(Format::Ods));
        // a truncated ODS head: mimetype first and stored
        let mut head = b"PK\x03\x04".to_vec();
        head.extend_from_slice(&[0; 26]);
        head.extend_from_slice(b"mimetype");
        head.extend_from_slice(ODS_MIME);
        assert_eq!(detect_format(Some("x.xlsx"), &head), Some(Format::Ods));
    }
}
