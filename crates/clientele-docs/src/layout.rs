//! The page layout: places the document's parts on pages as positioned text lines, rectangles,
//! rules and the logo, then draws them with krilla.
//!
//! Order on the page: seller (and logo) beside the title, number and dates; the buyer beside the
//! amount box; the items table (header row repeated on each page, rows cut across pages only
//! when one is taller than a page); the totals; the template's sections in its order; a footer
//! with "Page n / N" on every page. Coordinates are points, from the top left corner.

use krilla::geom::{PathBuilder, Rect, Size, Transform};
use krilla::image::Image;
use krilla::paint::{Fill, Stroke};

use crate::DocError;
use crate::labels::Labels;
use crate::model::{Document, DocumentKind, Party};
use crate::template::{Section, Template};
use crate::text::{Rgb, Shaped, Style, shape, wrap};

/// The width a column needs for `text` on one line (with a little slack: a line is wrapped
/// word by word, which may measure a hair wider than the whole text shaped at once).
fn fit(text: &str, style: Style) -> Result<f32, DocError> {
    Ok(shape(text, style)?.width + 1.0)
}

const TEXT: Rgb = (25, 25, 25);
const MUTED: Rgb = (105, 105, 105);
const RULE: Rgb = (205, 205, 205);
const STRIPE: Rgb = (246, 246, 246);
const WHITE: Rgb = (255, 255, 255);

const MM: f32 = 72.0 / 25.4;
/// Inner padding of table cells.
const PAD: f32 = 5.0;
/// Space above a section.
const SECTION_GAP: f32 = 14.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
    Center,
}

/// Something drawn on a page.
enum Op {
    /// A line of text; `y` is its baseline.
    Text {
        x: f32,
        y: f32,
        line: Shaped,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// A horizontal rule whose top is at `y`.
    Rule {
        x: f32,
        y: f32,
        w: f32,
        thickness: f32,
        color: Rgb,
    },
    Logo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// Text lines laid out in a column.
struct Lines(Vec<Shaped>);

impl Lines {
    fn height(&self) -> f32 {
        self.0.iter().map(|l| l.style.line_height()).sum()
    }
}

struct Layout<'a> {
    doc: &'a Document,
    tpl: &'a Template,
    labels: Labels,
    page_w: f32,
    page_h: f32,
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
    pages: Vec<Vec<Op>>,
    y: f32,
    accent: Rgb,
    fs: f32,
}

/// Lays the document out and writes the PDF.
pub(crate) fn render(doc: &Document, tpl: &Template, logo: Option<&Image>) -> Result<Vec<u8>, DocError> {
    let mut labels = doc.labels.clone();
    for (name, value) in &tpl.labels {
        labels.set(name, value);
    }
    let (page_w, page_h) = tpl.paper.size();
    let mut layout = Layout {
        doc,
        tpl,
        labels,
        page_w,
        page_h,
        left: 18.0 * MM,
        right: page_w - 18.0 * MM,
        top: 16.0 * MM,
        bottom: page_h - 20.0 * MM,
        pages: vec![Vec::new()],
        y: 16.0 * MM,
        accent: tpl.accent,
        fs: tpl.font_size,
    };
    layout.header(logo.filter(|_| tpl.logo))?;
    layout.buyer_and_amount()?;
    layout.items()?;
    layout.totals()?;
    for section in &tpl.order {
        layout.section(*section)?;
    }
    layout.footers()?;
    layout.draw(logo)
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

impl Layout<'_> {
    fn width(&self) -> f32 {
        self.right - self.left
    }

    fn title(&self) -> &str {
        match self.doc.kind {
            DocumentKind::Invoice => &self.labels.invoice,
            DocumentKind::Quote => &self.labels.quote,
        }
    }

    fn due_label(&self) -> &str {
        match self.doc.kind {
            DocumentKind::Invoice => &self.labels.due_date,
            DocumentKind::Quote => &self.labels.valid_until,
        }
    }

    fn money(&self, v: &str) -> String {
        format!("{v} {}", self.doc.currency)
    }

    fn style(&self, scale: f32, bold: bool, color: Rgb) -> Style {
        Style::new(self.fs * scale, bold, color)
    }

    fn body(&self) -> Style {
        self.style(1.0, false, TEXT)
    }

    fn caption_style(&self) -> Style {
        self.style(0.83, true, self.accent)
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top;
    }

    /// Places `lines` with their top at `y` in a column from `x`, `w` wide; returns the height.
    fn put(&mut self, lines: &Lines, x: f32, y: f32, w: f32, align: Align) -> f32 {
        let mut top = y;
        for line in &lines.0 {
            let lx = match align {
                Align::Left => x,
                Align::Right => x + w - line.width,
                Align::Center => x + (w - line.width) / 2.0,
            };
            let baseline = top + line.style.ascent();
            top += line.style.line_height();
            if !line.runs.is_empty() {
                self.ops().push(Op::Text { x: lx, y: baseline, line: line.clone() });
            }
        }
        top - y
    }

    /// Places `lines` with their top at `y` in a column from `x`, going on at the top of a new
    /// page when the page is full; returns where they end on the (maybe new) page.
    fn column(&mut self, lines: &Lines, x: f32, y: f32, w: f32) -> f32 {
        let mut y = y;
        for line in &lines.0 {
            if y + line.style.line_height() > self.bottom {
                self.new_page();
                y = self.top;
            }
            y += self.put(&Lines(vec![line.clone()]), x, y, w, Align::Left);
        }
        y
    }

    /// Places `lines` at the current position across the full width, going on to a new page
    /// when the page is full.
    fn flow(&mut self, lines: Lines, x: f32, w: f32) {
        for line in lines.0 {
            let h = line.style.line_height();
            if self.y + h > self.bottom {
                self.new_page();
            }
            let y = self.y;
            self.y += self.put(&Lines(vec![line]), x, y, w, Align::Left);
        }
    }

    fn wrap(&self, text: &str, style: Style, w: f32) -> Result<Lines, DocError> {
        Ok(Lines(wrap(text, style, w)?))
    }

    /// Each text wrapped on its own lines.
    fn wrap_all<'t>(&self, texts: impl IntoIterator<Item = &'t str>, style: Style, w: f32) -> Result<Lines, DocError> {
        let mut lines = Vec::new();
        for text in texts {
            lines.extend(wrap(text, style, w)?);
        }
        Ok(Lines(lines))
    }

    fn party_lines(&self, p: &Party) -> Vec<String> {
        let l = &self.labels;
        let mut lines: Vec<String> = p.address_lines.iter().filter(|s| !s.trim().is_empty()).cloned().collect();
        if let Some(v) = filled(&p.tax_number) {
            lines.push(format!("{}: {v}", l.tax_number));
        }
        lines.extend(p.registration.iter().map(|f| format!("{}: {}", f.label, f.value)));
        for (label, value) in [(&l.contact_person, &p.contact_person), (&l.phone, &p.phone), (&l.email, &p.email)] {
            if let Some(v) = filled(value) {
                lines.push(format!("{label}: {v}"));
            }
        }
        lines
    }

    /// Seller (and logo) on the left; title, number, dates on the right; then a rule.
    fn header(&mut self, logo: Option<&Image>) -> Result<(), DocError> {
        let right_w = self.width() * 0.45;
        let left_w = self.width() - right_w - 20.0;
        let (left, top) = (self.left, self.top);

        // The right column first: the left one may go on over pages when a seller has very long
        // details, and the right one must stay on the first page.
        let rx = self.right - right_w;
        let mut ry = top;
        let title = self.wrap(&self.title().to_uppercase(), self.style(2.2, true, self.accent), right_w)?;
        ry += self.put(&title, rx, ry, right_w, Align::Right) + 4.0;

        let mut rows = vec![
            (self.labels.number.clone(), self.doc.number.clone(), true),
            (self.labels.issue_date.clone(), self.doc.issue_date.clone(), false),
        ];
        if let Some(due) = filled(&self.doc.due_date) {
            rows.push((self.due_label().to_owned(), due.to_owned(), true));
        }
        let label_style = self.style(1.0, false, MUTED);
        let mut label_w: f32 = 0.0;
        let mut value_w: f32 = 0.0;
        for (label, value, bold) in &rows {
            label_w = label_w.max(fit(label, label_style)?);
            value_w = value_w.max(fit(value, self.style(1.0, *bold, TEXT))?);
        }
        let value_w = value_w.min((right_w - label_w - 10.0).max(right_w * 0.55));
        let label_w = label_w.min(right_w - value_w - 10.0);
        let label_x = self.right - value_w - 10.0 - label_w;
        for (label, value, bold) in &rows {
            let label = self.wrap(label, label_style, label_w)?;
            let value = self.wrap(value, self.style(1.0, *bold, TEXT), value_w)?;
            let h1 = self.put(&label, label_x, ry, label_w, Align::Left);
            let h2 = self.put(&value, self.right - value_w, ry, value_w, Align::Right);
            ry += h1.max(h2) + 3.0;
        }
        if !self.tpl.header_note.trim().is_empty() {
            let note = self.wrap(&self.tpl.header_note, self.style(1.0, true, self.accent), right_w)?;
            ry += 3.0 + self.put(&note, rx, ry + 3.0, right_w, Align::Right);
        }

        let mut ly = top;
        if let Some(image) = logo {
            let (pw, ph) = image.size();
            let mut h = 12.0 * MM;
            let mut w = h * pw as f32 / ph.max(1) as f32;
            if w > left_w {
                h *= left_w / w;
                w = left_w;
            }
            self.ops().push(Op::Logo { x: left, y: ly, w, h });
            ly += h + 8.0;
        }
        let name = self.wrap(&self.doc.seller.name, self.style(1.67, true, self.accent), left_w)?;
        let first_page = self.pages.len();
        ly = self.column(&name, left, ly, left_w) + 2.0;
        if self.tpl.seller_details {
            let texts = self.party_lines(&self.doc.seller);
            let lines = self.wrap_all(texts.iter().map(String::as_str), self.style(1.0, false, MUTED), left_w)?;
            ly = self.column(&lines, left, ly, left_w);
        }

        // A seller with more details than a page holds has gone on to the next pages.
        self.y = if self.pages.len() == first_page { ly.max(ry) } else { ly } + 8.0;
        if self.y + 20.0 > self.bottom {
            self.new_page();
        }
        let (y, w, accent) = (self.y, self.width(), self.accent);
        self.ops().push(Op::Rule { x: left, y, w, thickness: 1.2, color: accent });
        self.y += 1.2 + 12.0;
        Ok(())
    }

    /// A small coloured heading in capitals.
    fn caption(&self, text: &str, w: f32) -> Result<Lines, DocError> {
        self.wrap(&text.to_uppercase(), self.caption_style(), w)
    }

    /// The buyer on the left, what to pay (or the quote's total) in a box on the right.
    fn buyer_and_amount(&mut self) -> Result<(), DocError> {
        let doc = self.doc;
        let top = self.y;
        let mut box_w = 0.0;
        let mut box_h = 0.0;
        if self.tpl.amount_box {
            let (caption, amount) = match (doc.kind, filled(&doc.amount_due)) {
                (DocumentKind::Invoice, Some(due)) => (self.labels.amount_due.clone(), due.to_owned()),
                _ => (self.labels.total.clone(), doc.total.clone()),
            };
            let amount = self.money(&amount);
            let due = filled(&doc.due_date).map(|d| format!("{}: {d}", self.due_label()));
            let amount_style = self.style(1.78, true, TEXT);
            let muted = self.style(1.0, false, MUTED);
            let natural = [
                fit(&caption.to_uppercase(), self.caption_style())?,
                fit(&amount, amount_style)?,
                match &due {
                    Some(d) => fit(d, muted)?,
                    None => 0.0,
                },
            ]
            .into_iter()
            .fold(0.0f32, f32::max);
            box_w = (natural + 20.0).min(self.width() * 0.45);
            let inner = box_w - 20.0;
            let caption = self.caption(&caption, inner)?;
            let amount = self.wrap(&amount, amount_style, inner)?;
            let due = match &due {
                Some(d) => self.wrap(d, muted, inner)?,
                None => Lines(Vec::new()),
            };
            box_h = 20.0 + caption.height() + 3.0 + amount.height() + due.height();
            let x = self.right - box_w;
            let light = mix(self.accent, WHITE, 0.9);
            self.ops().push(Op::Rect { x, y: top, w: box_w, h: box_h, color: light });
            let mut y = top + 10.0;
            y += self.put(&caption, x + 10.0, y, inner, Align::Right) + 3.0;
            y += self.put(&amount, x + 10.0, y, inner, Align::Right);
            self.put(&due, x + 10.0, y, inner, Align::Right);
        }

        let w = if box_w > 0.0 { self.width() - box_w - 20.0 } else { self.width() };
        let heading = match doc.kind {
            DocumentKind::Invoice => self.labels.buyer.clone(),
            DocumentKind::Quote => self.labels.prepared_for.clone(),
        };
        let (x, mut y) = (self.left, top);
        let caption = self.caption(&heading, w)?;
        y += self.put(&caption, x, y, w, Align::Left) + 3.0;
        let name = self.wrap(&doc.buyer.name, self.style(1.17, true, TEXT), w)?;
        let first_page = self.pages.len();
        y = self.column(&name, x, y, w);
        let texts = self.party_lines(&doc.buyer);
        let lines = self.wrap_all(texts.iter().map(String::as_str), self.body(), w)?;
        y = self.column(&lines, x, y, w);

        self.y = if self.pages.len() == first_page { y.max(top + box_h) } else { y } + 16.0;
        Ok(())
    }

    /// The items table.
    fn items(&mut self) -> Result<(), DocError> {
        let doc = self.doc;
        let tpl = self.tpl;
        let l = self.labels.clone();
        let show_discount = tpl.col_discount && doc.items.iter().any(|it| filled(&it.discount_percent).is_some());
        let show_tax = tpl.col_tax && doc.items.iter().any(|it| filled(&it.tax_percent).is_some());
        let pct = |v: &Option<String>| filled(v).map_or_else(|| "–".to_owned(), |v| format!("{v}%"));

        // Column headers and the text of every cell; the item column is index `item_col`.
        let mut headers: Vec<String> = Vec::new();
        if tpl.col_position {
            headers.push("#".into());
        }
        let item_col = headers.len();
        headers.push(l.item.clone());
        headers.push(l.quantity.clone());
        headers.push(l.unit_price.clone());
        if show_discount {
            headers.push(l.discount.clone());
        }
        if show_tax {
            headers.push(l.tax.clone());
        }
        headers.push(format!("{} ({})", l.amount, doc.currency));

        let rows: Vec<Vec<String>> = doc
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let mut cells = Vec::new();
                if tpl.col_position {
                    cells.push((i + 1).to_string());
                }
                cells.push(String::new()); // the item cell is built apart
                cells.push(match filled(&it.unit).filter(|_| tpl.col_unit) {
                    Some(unit) => format!("{} {unit}", it.quantity),
                    None => it.quantity.clone(),
                });
                cells.push(it.unit_price.clone());
                if show_discount {
                    cells.push(pct(&it.discount_percent));
                }
                if show_tax {
                    cells.push(pct(&it.tax_percent));
                }
                cells.push(it.total.clone());
                cells
            })
            .collect();

        // Column widths: the numbers take what they need (up to a fifth of the width each),
        // the item column the rest, at least a third.
        let body = self.body();
        let head_style = self.style(1.0, true, WHITE);
        let cw = self.width();
        let mut widths = vec![0.0f32; headers.len()];
        for (c, header) in headers.iter().enumerate() {
            if c == item_col {
                continue;
            }
            let mut w = fit(header, head_style)?;
            for row in &rows {
                w = w.max(fit(&row[c], body)?);
            }
            widths[c] = (w + 2.0 * PAD).min(cw * 0.2);
        }
        let others: f32 = widths.iter().sum();
        let min_item = cw / 3.0;
        if cw - others < min_item {
            let scale = (cw - min_item) / others;
            widths.iter_mut().for_each(|w| *w *= scale);
        }
        widths[item_col] = cw - widths.iter().sum::<f32>();
        let aligns: Vec<Align> =
            (0..headers.len()).map(|c| if c <= item_col { Align::Left } else { Align::Right }).collect();

        let header_cells = headers
            .iter()
            .zip(&widths)
            .zip(&aligns)
            .map(|((h, w), a)| Ok((self.wrap(h, head_style, w - 2.0 * PAD)?, *a)))
            .collect::<Result<Vec<_>, DocError>>()?;
        let header_h = header_cells.iter().map(|(l, _)| l.height()).fold(0.0, f32::max) + 2.0 * PAD;

        let desc_style = self.style(0.89, false, MUTED);
        // Keep the header with at least one row.
        if self.y + header_h + body.line_height() + 2.0 * PAD > self.bottom {
            self.new_page();
        }
        self.table_header(&header_cells, &widths, header_h);
        for (i, (row, item)) in rows.iter().zip(&doc.items).enumerate() {
            let mut cells: Vec<Lines> = Vec::with_capacity(row.len());
            for (c, text) in row.iter().enumerate() {
                let w = widths[c] - 2.0 * PAD;
                if c == item_col {
                    let mut lines = wrap(&item.name, body, w)?;
                    if let Some(desc) = filled(&item.description).filter(|_| tpl.descriptions) {
                        lines.extend(wrap(desc, desc_style, w)?);
                    }
                    cells.push(Lines(lines));
                } else {
                    cells.push(self.wrap(text, body, w)?);
                }
            }
            let fill = (tpl.stripes && i % 2 == 1).then_some(STRIPE);
            self.table_row(cells, &aligns, &widths, fill, &header_cells, header_h);
        }
        self.y += 10.0;
        Ok(())
    }

    fn table_header(&mut self, cells: &[(Lines, Align)], widths: &[f32], h: f32) {
        let (x0, y, w, accent) = (self.left, self.y, self.width(), self.accent);
        self.ops().push(Op::Rect { x: x0, y, w, h, color: accent });
        let mut x = x0;
        for ((lines, align), cw) in cells.iter().zip(widths) {
            self.put(lines, x + PAD, y + PAD, cw - 2.0 * PAD, *align);
            x += cw;
        }
        self.y += h;
    }

    /// One row; onto the next page (with the header again) when it does not fit, and cut
    /// between lines when it is taller than a whole page.
    fn table_row(
        &mut self,
        mut cells: Vec<Lines>,
        aligns: &[Align],
        widths: &[f32],
        fill: Option<Rgb>,
        header: &[(Lines, Align)],
        header_h: f32,
    ) {
        loop {
            let h = cells.iter().map(Lines::height).fold(0.0, f32::max) + 2.0 * PAD;
            let fresh = self.y <= self.top + header_h + 0.01;
            let fits = self.y + h <= self.bottom;
            if !fits && !fresh && self.top + header_h + h <= self.bottom {
                self.new_page();
                self.table_header(header, widths, header_h);
                continue;
            }
            // Take what fits now (everything, when the row fits).
            let room = self.bottom - self.y - 2.0 * PAD;
            let mut now: Vec<Lines> = Vec::with_capacity(cells.len());
            let mut rest: Vec<Lines> = Vec::with_capacity(cells.len());
            for cell in cells {
                let mut used = 0.0;
                let mut take = 0;
                for line in &cell.0 {
                    if fits || used + line.style.line_height() <= room {
                        used += line.style.line_height();
                        take += 1;
                    } else {
                        break;
                    }
                }
                let mut lines = cell.0;
                let tail = lines.split_off(take);
                now.push(Lines(lines));
                rest.push(Lines(tail));
            }
            if now.iter().all(|c| c.0.is_empty()) {
                // Not even one line fits here: go on on a new page.
                if fresh {
                    // Cannot happen with the sizes a template allows; never loop forever.
                    return;
                }
                self.new_page();
                self.table_header(header, widths, header_h);
                cells = rest;
                continue;
            }
            let h = now.iter().map(Lines::height).fold(0.0, f32::max) + 2.0 * PAD;
            let (x0, y, w) = (self.left, self.y, self.width());
            if let Some(color) = fill {
                self.ops().push(Op::Rect { x: x0, y, w, h, color });
            }
            let mut x = x0;
            for ((lines, align), cw) in now.iter().zip(aligns).zip(widths) {
                self.put(lines, x + PAD, y + PAD, cw - 2.0 * PAD, *align);
                x += cw;
            }
            self.ops().push(Op::Rule { x: x0, y: y + h - 0.5, w, thickness: 0.5, color: RULE });
            self.y += h;
            if rest.iter().all(|c| c.0.is_empty()) {
                return;
            }
            cells = rest;
            self.new_page();
            self.table_header(header, widths, header_h);
        }
    }

    /// Subtotal, discount, tax, total and (invoices) amount due, right-aligned, kept together.
    fn totals(&mut self) -> Result<(), DocError> {
        let doc = self.doc;
        let w = (self.width() * 0.55).max(200.0f32.min(self.width()));
        let x = self.right - w;
        let muted = self.style(1.0, false, MUTED);
        let plain = self.body();
        let big = self.style(1.22, true, TEXT);
        let due_style = self.style(1.0, true, WHITE);

        // (label, value, label style, value style, filled with the accent, rule above)
        let mut rows: Vec<(String, String, Style, Style, bool, bool)> =
            vec![(self.labels.subtotal.clone(), self.money(&doc.subtotal), muted, plain, false, false)];
        if let Some(v) = filled(&doc.discount_total) {
            rows.push((self.labels.discount.clone(), self.money(v), muted, plain, false, false));
        }
        if let Some(v) = filled(&doc.tax_total) {
            rows.push((self.labels.tax.clone(), self.money(v), muted, plain, false, false));
        }
        rows.push((self.labels.total.clone(), self.money(&doc.total), big, big, false, true));
        if doc.kind == DocumentKind::Invoice
            && let Some(v) = filled(&doc.amount_due)
        {
            rows.push((self.labels.amount_due.clone(), self.money(v), due_style, due_style, true, false));
        }

        let mut laid = Vec::with_capacity(rows.len());
        let mut total_h = 0.0;
        for (label, value, ls, vs, fill, rule) in rows {
            let value_w = fit(&value, vs)?.min(w * 0.6 - 2.0 * PAD);
            let label_w = w - value_w - 4.0 * PAD;
            let label = self.wrap(&label, ls, label_w)?;
            let value = self.wrap(&value, vs, value_w)?;
            let h = label.height().max(value.height()) + 8.0 + if rule { 3.0 } else { 0.0 };
            total_h += h;
            laid.push((label, value, label_w, value_w, h, fill, rule));
        }
        if self.y + total_h > self.bottom {
            self.new_page();
        }
        for (label, value, label_w, value_w, h, fill, rule) in laid {
            let y = self.y;
            let mut top = y + 4.0;
            if rule {
                let accent = self.accent;
                self.ops().push(Op::Rule { x, y: y + 1.0, w, thickness: 1.0, color: accent });
                top += 3.0;
            }
            if fill {
                let accent = self.accent;
                self.ops().push(Op::Rect { x, y, w, h, color: accent });
            }
            self.put(&label, x + PAD, top, label_w, Align::Left);
            self.put(&value, self.right - PAD - value_w, top, value_w, Align::Right);
            self.y += h;
        }
        Ok(())
    }

    fn section(&mut self, section: Section) -> Result<(), DocError> {
        let doc = self.doc;
        let w = self.width();
        match section {
            Section::PaymentTerms => {
                if let Some(text) = filled(&doc.payment_terms) {
                    let title = self.labels.payment_terms.clone();
                    self.text_section(Some(&title), text)?;
                }
            }
            Section::Notes => {
                if let Some(text) = filled(&doc.notes) {
                    let title = self.labels.notes.clone();
                    self.text_section(Some(&title), text)?;
                }
            }
            Section::Blocks => {
                for block in &doc.blocks {
                    self.text_section(filled(&block.title), &block.body)?;
                }
            }
            Section::Terms => {
                if !self.tpl.terms.trim().is_empty() {
                    let title = self.tpl.terms_title.clone();
                    let terms = self.tpl.terms.clone();
                    self.text_section(Some(title.as_str()).filter(|t| !t.trim().is_empty()), &terms)?;
                }
            }
            Section::BankDetails => {
                let fields = &doc.seller.bank_details;
                if fields.is_empty() {
                    return Ok(());
                }
                let muted = self.style(1.0, false, MUTED);
                let body = self.body();
                let mut label_w: f32 = 0.0;
                for f in fields {
                    label_w = label_w.max(fit(&f.label, muted)?);
                }
                let label_w = label_w.min(w * 0.3);
                let value_w = w - label_w - 10.0;
                let caption = self.caption(&self.labels.bank_details.clone(), w)?;
                let mut first = true;
                for f in fields {
                    let label = self.wrap(&f.label, muted, label_w)?;
                    let value = self.wrap(&f.value, body, value_w)?;
                    let h = label.height().max(value.height()) + 2.0;
                    if first {
                        self.start_section(&caption, h);
                        first = false;
                    } else if self.y + h > self.bottom {
                        self.new_page();
                    }
                    let (x, y) = (self.left, self.y);
                    self.put(&label, x, y, label_w, Align::Left);
                    self.put(&value, x + label_w + 10.0, y, value_w, Align::Left);
                    self.y += h;
                }
            }
            Section::Signature => {
                let half = w / 2.0;
                let x = self.left + half;
                let label = self.wrap(&self.labels.acceptance.clone(), self.style(0.89, false, MUTED), half)?;
                let gap = 36.0;
                if self.y + gap + 4.0 + label.height() > self.bottom {
                    self.new_page();
                } else {
                    self.y += gap;
                }
                let y = self.y;
                self.ops().push(Op::Rule { x, y, w: half, thickness: 0.6, color: MUTED });
                self.y += 4.0 + self.put(&label, x, y + 4.0, half, Align::Left);
            }
        }
        Ok(())
    }

    /// Space, then the caption kept with the first `first_h` points of what follows.
    fn start_section(&mut self, caption: &Lines, first_h: f32) {
        let need = caption.height() + 3.0 + first_h;
        if self.y + SECTION_GAP + need > self.bottom {
            self.new_page();
        } else {
            self.y += SECTION_GAP;
        }
        if !caption.0.is_empty() {
            let (x, y, w) = (self.left, self.y, self.width());
            self.y += self.put(caption, x, y, w, Align::Left) + 3.0;
        }
    }

    fn text_section(&mut self, title: Option<&str>, body: &str) -> Result<(), DocError> {
        let w = self.width();
        let caption = match title {
            Some(t) => self.caption(t, w)?,
            None => Lines(Vec::new()),
        };
        let lines = self.wrap(body, self.body(), w)?;
        let first = lines.0.first().map_or(0.0, |l| l.style.line_height());
        self.start_section(&caption, first);
        let x = self.left;
        self.flow(lines, x, w);
        Ok(())
    }

    /// Seller, title and number (or the template's footer text), "Page n / N" on every page.
    fn footers(&mut self) -> Result<(), DocError> {
        let count = self.pages.len();
        let style = self.style(0.83, false, MUTED);
        let third = self.width() / 3.0;
        let centre_text = if self.tpl.footer.trim().is_empty() {
            format!("{} {}", self.title(), self.doc.number)
        } else {
            self.tpl.footer.clone()
        };
        let seller = self.wrap(&self.doc.seller.name, style, third - 6.0)?;
        let centre = self.wrap(&centre_text, style, third - 6.0)?;
        let rule_y = self.bottom + 12.0;
        let (left, w) = (self.left, self.width());
        for page in 0..count {
            let number = self.wrap(&format!("{} {} / {count}", self.labels.page, page + 1), style, third - 6.0)?;
            let saved = std::mem::take(&mut self.pages[page]);
            self.pages.push(saved);
            self.ops().push(Op::Rule { x: left, y: rule_y, w, thickness: 0.5, color: RULE });
            let y = rule_y + 4.0;
            self.put(&seller, left, y, third - 6.0, Align::Left);
            self.put(&centre, left + third + 3.0, y, third - 6.0, Align::Center);
            self.put(&number, left + 2.0 * third + 6.0, y, third - 6.0, Align::Right);
            let done = self.pages.pop().unwrap_or_default();
            self.pages[page] = done;
        }
        Ok(())
    }

    fn draw(self, logo: Option<&Image>) -> Result<Vec<u8>, DocError> {
        let mut document = krilla::Document::new();
        let title = format!("{} {}", self.title(), self.doc.number);
        document.set_metadata(
            krilla::metadata::Metadata::new()
                .title(title)
                .authors(vec![self.doc.seller.name.clone()])
                .creator("Clientele".into())
                .language(language(&self.doc.lang)),
        );
        for ops in &self.pages {
            let settings = krilla::page::PageSettings::from_wh(self.page_w, self.page_h)
                .ok_or_else(|| DocError::Internal("bad page size".into()))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text { x, y, line } => line.draw(&mut surface, *x, *y)?,
                    Op::Rect { x, y, w, h, color } => {
                        if let Some(path) = Rect::from_xywh(*x, *y, *w, *h).and_then(|r| {
                            let mut pb = PathBuilder::new();
                            pb.push_rect(r);
                            pb.finish()
                        }) {
                            surface.set_stroke(None);
                            surface.set_fill(Some(fill(*color)));
                            surface.draw_path(&path);
                        }
                    }
                    Op::Rule { x, y, w, thickness, color } => {
                        let mut pb = PathBuilder::new();
                        let mid = y + thickness / 2.0;
                        pb.move_to(*x, mid);
                        pb.line_to(x + w, mid);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                paint: rgb(*color).into(),
                                width: *thickness,
                                ..Default::default()
                            }));
                            surface.draw_path(&path);
                        }
                    }
                    Op::Logo { x, y, w, h } => {
                        if let (Some(image), Some(size)) = (logo, Size::from_wh(*w, *h)) {
                            surface.push_transform(&Transform::from_translate(*x, *y));
                            surface.draw_image(image.clone(), size);
                            surface.pop();
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| match e {
            krilla::error::KrillaError::Image(_, _, message) => DocError::Logo(message),
            other => DocError::Internal(format!("PDF writer: {other:?}")),
        })
    }
}

/// `fr_BE` → `fr-BE`; anything that is not a plain language tag → `en`.
fn language(lang: &str) -> String {
    let tag = lang.trim().replace('_', "-");
    let ok = (2..=35).contains(&tag.len())
        && tag.split('-').all(|part| (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok { tag } else { "en".to_owned() }
}

fn rgb((r, g, b): Rgb) -> krilla::color::rgb::Color {
    krilla::color::rgb::Color::new(r, g, b)
}

fn fill(color: Rgb) -> Fill {
    Fill { paint: rgb(color).into(), ..Default::default() }
}

/// `a` moved towards `b` by `t` (0..1).
fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let m = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    (m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}
