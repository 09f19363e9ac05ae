//! Fonts, shaping and line breaking.
//!
//! The bundled fonts are compiled in and parsed once per process. Text is cut into runs by font:
//! each character goes to Noto Sans when its cmap has it, else to NanumSquare (Hangul), so
//! a line mixing Latin, Cyrillic and Hangul is shaped by the font that draws each part. Runs are
//! shaped with rustybuzz and drawn by krilla, which subsets the fonts into the PDF.

use std::ops::Range;
use std::sync::OnceLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Face, UnicodeBuffer};

use crate::DocError;

/// Noto Sans (Latin, Cyrillic, Greek) then NanumSquare (Hangul), regular and bold.
static FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NanumSquareR.ttf"),
    include_bytes!("../fonts/NanumSquareB.ttf"),
];

struct Loaded {
    face: Face<'static>,
    font: Font,
    units_per_em: f32,
}

static FONTS: OnceLock<Result<Vec<Loaded>, String>> = OnceLock::new();

fn fonts() -> Result<&'static [Loaded], DocError> {
    FONTS
        .get_or_init(|| {
            FONT_FILES
                .iter()
                .enumerate()
                .map(|(i, data)| {
                    let face = Face::from_slice(data, 0).ok_or_else(|| format!("bundled font {i} is unreadable"))?;
                    let font = Font::new(krilla::Data::from(*data), 0)
                        .ok_or_else(|| format!("bundled font {i} is unreadable by the PDF writer"))?;
                    let units_per_em = face.units_per_em() as f32;
                    Ok(Loaded { face, font, units_per_em })
                })
                .collect()
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(|e| DocError::Internal(e.clone()))
}

/// Parses the bundled fonts now (the first render would otherwise do it).
pub(crate) fn check_fonts() -> Result<(), DocError> {
    fonts().map(|_| ())
}

/// An RGB colour.
pub(crate) type Rgb = (u8, u8, u8);

/// How a piece of text is printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub size: f32,
    pub bold: bool,
    pub color: Rgb,
}

impl Style {
    pub(crate) fn new(size: f32, bold: bool, color: Rgb) -> Style {
        Style { size, bold, color }
    }

    /// Distance between two baselines.
    pub(crate) fn line_height(&self) -> f32 {
        self.size * 1.32
    }

    /// From the top of a line box to its baseline.
    pub(crate) fn ascent(&self) -> f32 {
        self.size * 1.0
    }
}

/// Some text in one font, shaped.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub font: usize,
    pub text: String,
    /// Where `text` starts in the shaped string.
    pub offset: usize,
    pub glyphs: Vec<KrillaGlyph>,
    /// In ems.
    pub advance: f32,
}

/// One line of text, shaped, ready to draw.
#[derive(Debug, Clone)]
pub(crate) struct Shaped {
    pub runs: Vec<Run>,
    pub style: Style,
    pub width: f32,
}

impl Shaped {
    /// Draws the line with its baseline starting at `(x, y)`.
    pub(crate) fn draw(&self, surface: &mut krilla::surface::Surface<'_>, x: f32, y: f32) -> Result<(), DocError> {
        let fonts = fonts()?;
        let (r, g, b) = self.style.color;
        surface.set_fill(Some(krilla::paint::Fill {
            paint: krilla::color::rgb::Color::new(r, g, b).into(),
            ..Default::default()
        }));
        surface.set_stroke(None);
        let mut x = x;
        for run in &self.runs {
            if !run.glyphs.is_empty() {
                let font = fonts[run.font].font.clone();
                surface.draw_glyphs(
                    krilla::geom::Point::from_xy(x, y),
                    &run.glyphs,
                    font,
                    &run.text,
                    self.style.size,
                    false,
                );
            }
            x += run.advance * self.style.size;
        }
        Ok(())
    }
}

/// Which bundled font draws `c`: Noto Sans when it has the character, else NanumSquare when it
/// has it, else Noto Sans (which then prints its "missing" box).
fn font_for(fonts: &[Loaded], c: char, bold: bool) -> usize {
    let (noto, nanum) = if bold { (1, 3) } else { (0, 2) };
    if fonts[noto].face.glyph_index(c).is_some() {
        noto
    } else if fonts[nanum].face.glyph_index(c).is_some() {
        nanum
    } else {
        noto
    }
}

/// Shapes one line of text (no line breaks in it).
pub(crate) fn shape(text: &str, style: Style) -> Result<Shaped, DocError> {
    let fonts = fonts()?;
    // Cut into runs by font; spaces and marks stay in the run before them.
    let mut pieces: Vec<(usize, Range<usize>)> = Vec::new();
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let keep = c.is_whitespace() || unicode_general_mark(c);
        match pieces.last_mut() {
            Some((_, range)) if keep => range.end = end,
            _ => {
                let font = font_for(fonts, c, style.bold);
                match pieces.last_mut() {
                    Some((last, range)) if *last == font => range.end = end,
                    _ => pieces.push((font, i..end)),
                }
            }
        }
    }
    let mut runs = Vec::with_capacity(pieces.len());
    let mut width = 0.0;
    for (font, range) in pieces {
        let run = shape_run(&fonts[font], font, &text[range.clone()], range.start);
        width += run.advance * style.size;
        runs.push(run);
    }
    Ok(Shaped { runs, style, width })
}

/// Combining marks, which must stay with the character before them.
fn unicode_general_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn shape_run(loaded: &Loaded, font: usize, text: &str, offset: usize) -> Run {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(Direction::LeftToRight);
    let output = rustybuzz::shape(&loaded.face, &[], buffer);
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    let upem = loaded.units_per_em;
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut advance = 0.0;
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let start = info.cluster as usize;
        // The cluster ends where the next different cluster starts.
        let end = infos[i + 1..]
            .iter()
            .map(|next| next.cluster as usize)
            .find(|&c| c != start)
            .unwrap_or(text.len())
            .max(start);
        let x_advance = pos.x_advance as f32 / upem;
        advance += x_advance;
        glyphs.push(KrillaGlyph::new(
            GlyphId::new(info.glyph_id),
            x_advance,
            pos.x_offset as f32 / upem,
            pos.y_offset as f32 / upem,
            pos.y_advance as f32 / upem,
            start..end,
            None,
        ));
    }
    Run { font, text: text.to_owned(), offset, glyphs, advance }
}

/// Width of `text` on one line.
pub(crate) fn width(text: &str, style: Style) -> Result<f32, DocError> {
    Ok(shape(text, style)?.width)
}

/// Breaks `text` into lines no wider than `max_width`: at spaces, and inside a word that is
/// wider than a whole line. Line breaks in the text (`\n`, `\r\n`) are kept; an empty line stays
/// an empty line.
pub(crate) fn wrap(text: &str, style: Style, max_width: f32) -> Result<Vec<Shaped>, DocError> {
    let max_width = max_width.max(style.size);
    let space = width(" ", style)?;
    let mut lines = Vec::new();
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in paragraph.split([' ', '\t']).filter(|w| !w.is_empty()) {
            let shaped = shape(word, style)?;
            if !line.is_empty() && line_width + space + shaped.width <= max_width {
                line.push(' ');
                line.push_str(word);
                line_width += space + shaped.width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if shaped.width <= max_width {
                line = word.to_owned();
                line_width = shaped.width;
            } else {
                // A word wider than a line: cut it between clusters.
                let mut pieces = split_word(word, &shaped, max_width);
                let last = pieces.pop().unwrap_or_default();
                lines.extend(pieces);
                line_width = width(&last, style)?;
                line = last;
            }
        }
        lines.push(line);
    }
    lines.into_iter().map(|line| shape(&line, style)).collect()
}

fn split_word(word: &str, shaped: &Shaped, max_width: f32) -> Vec<String> {
    let size = shaped.style.size;
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut x = 0.0;
    for run in &shaped.runs {
        for glyph in &run.glyphs {
            let cluster = run.offset + glyph.text_range.start;
            let advance = glyph.x_advance * size;
            if x + advance > max_width && cluster > start && word.is_char_boundary(cluster) {
                pieces.push(word[start..cluster].to_owned());
                start = cluster;
                x = 0.0;
            }
            x += advance;
        }
    }
    pieces.push(word[start..].to_owned());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLE: Style = Style { size: 10.0, bold: false, color: (0, 0, 0) };

    #[test]
    fn hangul_goes_to_nanum_and_the_rest_to_noto() {
        let shaped = shape("Сервер 컨설팅 ok", STYLE).unwrap();
        let fonts: Vec<(usize, &str)> = shaped.runs.iter().map(|r| (r.font, r.text.as_str())).collect();
        assert_eq!(fonts, vec![(0, "Сервер "), (2, "컨설팅 "), (0, "ok")]);
        assert!(shaped.runs.iter().all(|r| r.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0)));
        let bold = shape("컨설팅", Style { bold: true, ..STYLE }).unwrap();
        assert_eq!(bold.runs[0].font, 3);
    }

    #[test]
    fn long_words_are_cut_and_lines_fit() {
        let text = format!("short {} end", "x".repeat(200));
        let lines = wrap(&text, STYLE, 100.0).unwrap();
        assert!(lines.len() > 4, "{}", lines.len());
        assert!(lines.iter().all(|l| l.width <= 100.0 + 0.01));
        let joined: String = lines.iter().flat_map(|l| l.runs.iter().map(|r| r.text.as_str())).collect();
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn line_breaks_are_kept() {
        let lines = wrap("a\r\nb\n\nc", STYLE, 100.0).unwrap();
        assert_eq!(lines.len(), 4);
    }
}
