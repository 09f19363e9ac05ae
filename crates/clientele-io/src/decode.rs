//! Text encoding detection and streaming decoding to UTF-8.

use std::io::{self, BufRead, Read};

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252};

use crate::ReadError;

/// How many bytes are looked at to detect the encoding and the delimiter.
pub(crate) const SAMPLE: usize = 64 * 1024;
const IN_CAP: usize = 64 * 1024;
const OUT_CAP: usize = 64 * 1024;

/// Reads up to `n` bytes (fewer only at the end of the input). Returns the bytes and whether the
/// input ended.
pub(crate) fn read_head(r: &mut dyn Read, n: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::with_capacity(n.min(SAMPLE));
    let got = r.take(n as u64).read_to_end(&mut head)?;
    Ok((head, got < n))
}

/// The encoding named by a label, such as `windows-1251` or `utf-16le`.
pub(crate) fn encoding_for_label(label: &str) -> Result<&'static Encoding, ReadError> {
    Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| ReadError::UnknownEncoding(label.to_string()))
}

/// Lowercase canonical label of an encoding (`utf-8`, `windows-1251`), also a valid override.
pub(crate) fn label(enc: &'static Encoding) -> String {
    enc.name().to_ascii_lowercase()
}

/// The encoding of a text and the length of its byte order mark (to skip), from its first bytes.
/// With an override, only a BOM of that same encoding is skipped.
pub(crate) fn choose_encoding(
    head: &[u8],
    eof: bool,
    over: Option<&str>,
) -> Result<(&'static Encoding, usize), ReadError> {
    let bom = Encoding::for_bom(head);
    if let Some(label) = over {
        let enc = encoding_for_label(label)?;
        return Ok(match bom {
            Some((b, len)) if b == enc => (enc, len),
            _ => (enc, 0),
        });
    }
    if let Some(found) = bom {
        return Ok(found);
    }
    Ok((sniff_encoding(head, eof), 0))
}

/// Guesses the encoding of a text without BOM: UTF-16 by its NUL bytes, then UTF-8 if the bytes
/// are valid UTF-8 (a multibyte character cut by the end of the sample is allowed unless the input
/// ended), then EUC-KR, Windows-1251 (Cyrillic) or Windows-1252 (Western).
pub(crate) fn sniff_encoding(head: &[u8], eof: bool) -> &'static Encoding {
    if let Some(enc) = sniff_utf16(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        Err(e) if e.error_len().is_none() && !eof => return UTF_8,
        Err(_) => {}
    }
    guess_single_byte(head)
}

fn sniff_utf16(head: &[u8]) -> Option<&'static Encoding> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // ASCII text in UTF-16LE has its NULs at odd offsets; require many, and almost none opposite.
    if odd * 5 >= pairs && even * 20 <= odd {
        Some(UTF_16LE)
    } else if even * 5 >= pairs && odd * 20 <= even {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// EUC-KR when every run of high bytes is made of Hangul syllable pairs; else Windows-1251 when the
/// high bytes form words of their own (Cyrillic: whole words are high bytes), else Windows-1252
/// (Western: accented letters sit between ASCII letters).
fn guess_single_byte(head: &[u8]) -> &'static Encoding {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < head.len() {
        if head[i] >= 0x80 {
            let start = i;
            while i < head.len() && head[i] >= 0x80 {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        return WINDOWS_1252;
    }
    let (mut hangul_pairs, mut other_pairs) = (0usize, 0usize);
    for &(s, e) in &runs {
        let run = &head[s..e];
        if run.len() % 2 == 1 {
            other_pairs += run.len();
            continue;
        }
        for p in run.chunks_exact(2) {
            if (0xB0..=0xC8).contains(&p[0]) && (0xA1..=0xFE).contains(&p[1]) {
                hangul_pairs += 1;
            } else {
                other_pairs += 1;
            }
        }
    }
    if hangul_pairs > 0 && other_pairs * 10 <= hangul_pairs {
        return encoding_rs::EUC_KR;
    }
    let (mut cyrillic, mut western) = (0usize, 0usize);
    for &(s, e) in &runs {
        let before = if s > 0 { head[s - 1] } else { b' ' };
        let after = head.get(e).copied().unwrap_or(b' ');
        let len = e - s;
        let cyr_bytes = head[s..e].iter().filter(|&&b| b >= 0xC0 || b == 0xA8 || b == 0xB8).count();
        if before.is_ascii_alphabetic() || after.is_ascii_alphabetic() {
            western += len;
        } else if len >= 2 && cyr_bytes * 10 >= len * 9 {
            cyrillic += len;
        } else if len >= 2 {
            western += len;
        }
    }
    if cyrillic > western { WINDOWS_1251 } else { WINDOWS_1252 }
}

/// A decoder from any encoding to UTF-8 that streams: it holds one input and one output buffer of
/// 64 KiB, whatever the size of the input. Invalid sequences become U+FFFD, so the output is
/// always valid UTF-8 (each chunk handed out by `fill_buf` ends on a character boundary).
pub(crate) struct Utf8Stream {
    input: Box<dyn Read + Send>,
    decoder: Decoder,
    inbuf: Vec<u8>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    done: bool,
    out: Vec<u8>,
    out_pos: usize,
    out_len: usize,
}

impl Utf8Stream {
    /// `head` (already read from `input`, BOM included) is decoded first, from `skip` on.
    pub(crate) fn new(head: Vec<u8>, skip: usize, input: Box<dyn Read + Send>, enc: &'static Encoding) -> Self {
        let in_end = head.len();
        Utf8Stream {
            input,
            decoder: enc.new_decoder_without_bom_handling(),
            inbuf: head,
            in_start: skip.min(in_end),
            in_end,
            eof: false,
            done: false,
            out: vec![0; OUT_CAP],
            out_pos: 0,
            out_len: 0,
        }
    }

    fn decode_more(&mut self) -> io::Result<()> {
        self.out_pos = 0;
        self.out_len = 0;
        while !self.done {
            if self.in_start == self.in_end && !self.eof {
                if self.inbuf.len() != IN_CAP {
                    self.inbuf = vec![0; IN_CAP];
                }
                let n = loop {
                    match self.input.read(&mut self.inbuf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.in_start = 0;
                self.in_end = n;
                self.eof = n == 0;
            }
            let (res, read, written, _) =
                self.decoder.decode_to_utf8(&self.inbuf[self.in_start..self.in_end], &mut self.out, self.eof);
            self.in_start += read;
            if self.eof && res == CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 {
                self.out_len = written;
                return Ok(());
            }
        }
        Ok(())
    }
}

impl Read for Utf8Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Utf8Stream {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.out_pos >= self.out_len {
            self.decode_more()?;
        }
        Ok(&self.out[self.out_pos..self.out_len])
    }

    fn consume(&mut self, amt: usize) {
        self.out_pos = (self.out_pos + amt).min(self.out_len);
    }
}

/// Decodes a whole (small) byte slice, e.g. the sample used to sniff the delimiter. Without
/// `last`, an incomplete character at the end is left out.
pub(crate) fn decode_sample(bytes: &[u8], enc: &'static Encoding, last: bool) -> String {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2 + 16);
    let mut src = bytes;
    loop {
        let (res, read, _) = decoder.decode_to_string(src, &mut out, last);
        src = &src[read..];
        match res {
            CoderResult::InputEmpty => break,
            CoderResult::OutputFull => out.reserve(src.len() * 3 + 16),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_of(bytes: &[u8]) -> &'static str {
        sniff_encoding(bytes, true).name()
    }

    #[test]
    fn sniffs_common_encodings() {
        let (ru, _, _) = WINDOWS_1251.encode("Имя;Фамилия;Телефон\nИван;Петров;8 (495) 123-45-67\n");
        assert_eq!(enc_of(&ru), "windows-1251");
        let (fr, _, _) = WINDOWS_1252.encode("Prénom;Nom;Société\nAndré;Müller;Crème brûlée SA\n");
        assert_eq!(enc_of(&fr), "windows-1252");
        let (ko, _, _) = encoding_rs::EUC_KR.encode("이름,성,전화번호\n민준,김,02-312-3456\n");
        assert_eq!(enc_of(&ko), "EUC-KR");
        assert_eq!(enc_of("Prénom;Nom".as_bytes()), "UTF-8");
        assert_eq!(enc_of(b"plain ascii"), "UTF-8");
        let le: Vec<u8> = "a,b\n1,2\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(enc_of(&le), "UTF-16LE");
        let be: Vec<u8> = "Имя\tTel\n".encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(enc_of(&be), "UTF-16BE");
    }

    #[test]
    fn a_cut_multibyte_character_at_the_end_of_the_sample_is_still_utf8() {
        let text = "Иван".as_bytes();
        assert_eq!(sniff_encoding(&text[..3], false).name(), "UTF-8");
        assert_eq!(sniff_encoding(&text[..3], true).name(), "windows-1252");
    }

    #[test]
    fn stream_decodes_across_chunk_boundaries() {
        let text = "Жёлтый;日本;é\n".repeat(20_000);
        let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let (head, rest) = bytes.split_at(1000);
        let mut s = Utf8Stream::new(head.to_vec(), 0, Box::new(io::Cursor::new(rest.to_vec())), UTF_16LE);
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
    }
}
